import { SpeedLayerSettingsError } from './speed-layer.errors';

export interface SpeedLayerSettings {
  /** Tumbling window length. */
  windowMs: number;
  /** How long after its end a window still accepts readings (by wall clock of the applier). */
  allowedLatenessMs: number;
  /** How long after its end a window stays readable in Redis. */
  retentionMs: number;
}

export const DEFAULT_SPEED_LAYER_SETTINGS: SpeedLayerSettings = {
  windowMs: 60_000,
  allowedLatenessMs: 5 * 60_000,
  retentionMs: 2 * 60 * 60_000,
};

export function validateSpeedLayerSettings(settings: SpeedLayerSettings): SpeedLayerSettings {
  const { windowMs, allowedLatenessMs, retentionMs } = settings;
  if (!Number.isInteger(windowMs) || windowMs <= 0) {
    throw new SpeedLayerSettingsError(`windowMs must be a positive integer (got ${windowMs})`);
  }
  if (!Number.isInteger(allowedLatenessMs) || allowedLatenessMs < 0) {
    throw new SpeedLayerSettingsError(
      `allowedLatenessMs must be a non-negative integer (got ${allowedLatenessMs})`,
    );
  }
  // A window must outlive its lateness, or it could expire before the closer publishes it.
  if (!Number.isInteger(retentionMs) || retentionMs <= allowedLatenessMs) {
    throw new SpeedLayerSettingsError(
      `retentionMs (${retentionMs}) must be an integer greater than allowedLatenessMs (${allowedLatenessMs})`,
    );
  }
  return settings;
}
