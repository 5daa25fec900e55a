/** A time-boxed mute; every matcher field given must match, an empty matcher mutes the tenant. */
export interface SilenceWindow {
  id: string;
  tenant: string;
  device: string | null;
  metric: string | null;
  kind: string | null;
  tagKey: string | null;
  tagValue: string | null;
  startsAt: number;
  endsAt: number;
  reason: string;
}

export interface SilenceSubject {
  tenant: string;
  device: string | null;
  metric: string | null;
  kind: string;
  deviceTags: Record<string, string>;
}

export function silenceMatches(
  silence: SilenceWindow,
  subject: SilenceSubject,
  now: number,
): boolean {
  if (silence.tenant !== subject.tenant) return false;
  if (now < silence.startsAt || now >= silence.endsAt) return false;
  if (silence.device !== null && silence.device !== subject.device) return false;
  if (silence.metric !== null && silence.metric !== subject.metric) return false;
  if (silence.kind !== null && silence.kind !== subject.kind) return false;
  if (silence.tagKey !== null && subject.deviceTags[silence.tagKey] !== (silence.tagValue ?? '')) {
    return false;
  }
  return true;
}

export function findActiveSilence(
  silences: readonly SilenceWindow[],
  subject: SilenceSubject,
  now: number,
): SilenceWindow | undefined {
  return silences.find((silence) => silenceMatches(silence, subject, now));
}
