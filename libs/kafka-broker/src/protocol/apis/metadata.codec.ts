import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface MetadataRequest {
  /** null = all topics (v0 sends an empty list for that, v1+ a null list). */
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
}

export interface MetadataBroker {
  nodeId: number;
  host: string;
  port: number;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  replicaNodes: number[];
  isrNodes: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  brokers: MetadataBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
}

export function decodeMetadataRequest(r: ByteReader, version: number): MetadataRequest {
  const readName = (r: ByteReader): string => r.string('topics[].name');
  let topics: string[] | null;
  if (version === 0) {
    const list = r.array('topics', readName);
    topics = list.length === 0 ? null : list;
  } else {
    topics = r.nullableArray('topics', readName);
  }
  // Before v4 there is no flag: the broker's auto-create setting alone decides.
  const allowAutoTopicCreation = version >= 4 ? r.bool('allow_auto_topic_creation') : true;
  r.expectEnd();
  return { topics, allowAutoTopicCreation };
}

export function encodeMetadataResponse(
  w: ByteWriter,
  version: number,
  res: MetadataResponse,
): void {
  if (version >= 3) w.int32(0); // throttle_time_ms
  w.array(res.brokers, (w, b) => {
    w.int32(b.nodeId).string(b.host).int32(b.port);
    if (version >= 1) w.nullableString(null); // rack
  });
  if (version >= 2) w.nullableString(res.clusterId);
  if (version >= 1) w.int32(res.controllerId);
  w.array(res.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name);
    if (version >= 1) w.bool(t.isInternal);
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      w.array(p.replicaNodes, (w, n) => w.int32(n));
      w.array(p.isrNodes, (w, n) => w.int32(n));
    });
  });
}
