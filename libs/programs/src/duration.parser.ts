/**
 * Durations in programs are written the way people say them: "30s", "5m", "1h30m", "250ms", "2d".
 * Units must appear from largest to smallest, each at most once, so every duration has exactly one
 * spelling of its parts and "5m1h" is rejected rather than guessed at.
 */
export const DURATION_PATTERN =
  /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/;

const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1_000, 1] as const;
const UNIT_NAMES = ['d', 'h', 'm', 's', 'ms'] as const;

/** Milliseconds of a duration string, or `null` when it does not parse or is zero. */
export function parseDuration(text: string): number | null {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return null;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) ms += Number(part) * UNIT_MS[i];
  }
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}

/** Parses a duration the schema already accepted; a failure here is a programming error. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new RangeError(`duration "${text}" was not validated before use`);
  return ms;
}

/** The shortest spelling of a duration, for reasons ("for 5m", "only 2m10s of 5m"). */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (let i = 0; i < UNIT_MS.length; i++) {
    const count = Math.floor(rest / UNIT_MS[i]);
    if (count > 0) {
      out += `${count}${UNIT_NAMES[i]}`;
      rest -= count * UNIT_MS[i];
    }
  }
  return out;
}
