/**
 * Response shapes of the gateway endpoints the dashboard reads. Readings come from the contracts
 * library (type-only import: nothing of its Node code reaches the bundle).
 */
import type { CleanReading } from '@sluice/contracts';

export type { CleanReading };

export interface DeviceView {
  id: string;
  tags: Record<string, string>;
  metadata: Record<string, unknown>;
  createdAt: number;
  lastSeenAt: number | null;
}

export interface DeviceListResponse {
  devices: DeviceView[];
  next: string | null;
}

export interface LatestReading {
  metric: string;
  time: number;
  value: number;
}

export interface LatestResponse {
  device: string;
  readings: LatestReading[];
}
