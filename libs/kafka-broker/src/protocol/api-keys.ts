export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
} as const;
export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];

export interface VersionRange {
  apiKey: ApiKey;
  name: string;
  minVersion: number;
  maxVersion: number;
}

/**
 * Exactly the ranges this broker advertises. They are chosen so kafkajs 2.2, librdkafka 2.0 and
 * kafka-python 2.0 all work at once: non-flexible versions only (no tagged fields), group APIs
 * from v0 (older librdkafka silently disables consumer groups otherwise), Metadata up to v4
 * (kafka-python infers "broker >= 1.0" from it and then uses record batches), DescribeGroups and
 * ListGroups up to v2: kafkajs's highest, and kafka-python 2.0.2 would read a v3 DescribeGroups
 * response with its v2 schema (its v3 request names the v2 response type).
 */
export const SUPPORTED_APIS: readonly VersionRange[] = [
  { apiKey: ApiKey.Produce, name: 'Produce', minVersion: 3, maxVersion: 3 },
  { apiKey: ApiKey.Fetch, name: 'Fetch', minVersion: 4, maxVersion: 4 },
  { apiKey: ApiKey.ListOffsets, name: 'ListOffsets', minVersion: 1, maxVersion: 1 },
  { apiKey: ApiKey.Metadata, name: 'Metadata', minVersion: 0, maxVersion: 4 },
  { apiKey: ApiKey.OffsetCommit, name: 'OffsetCommit', minVersion: 2, maxVersion: 2 },
  { apiKey: ApiKey.OffsetFetch, name: 'OffsetFetch', minVersion: 1, maxVersion: 1 },
  { apiKey: ApiKey.FindCoordinator, name: 'FindCoordinator', minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.JoinGroup, name: 'JoinGroup', minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.Heartbeat, name: 'Heartbeat', minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.LeaveGroup, name: 'LeaveGroup', minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.SyncGroup, name: 'SyncGroup', minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.DescribeGroups, name: 'DescribeGroups', minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.ListGroups, name: 'ListGroups', minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.ApiVersions, name: 'ApiVersions', minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.CreateTopics, name: 'CreateTopics', minVersion: 0, maxVersion: 0 },
  { apiKey: ApiKey.DeleteTopics, name: 'DeleteTopics', minVersion: 0, maxVersion: 0 },
];

const BY_KEY = new Map<number, VersionRange>(SUPPORTED_APIS.map((r) => [r.apiKey, r]));

export function supportedRange(apiKey: number): VersionRange | undefined {
  return BY_KEY.get(apiKey);
}

export function apiName(apiKey: number): string {
  return BY_KEY.get(apiKey)?.name ?? `Unknown(${apiKey})`;
}
