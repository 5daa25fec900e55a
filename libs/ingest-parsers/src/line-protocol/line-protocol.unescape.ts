const BACKSLASH = 92;
const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;
const QUOTE = 34;

/**
 * Unescapes a measurement (`withEquals` false: `\,` `\ ` `\\`) or a tag key, tag value or field key
 * (`withEquals` true: also `\=`). A backslash before any other character is kept, as InfluxDB does.
 */
export function unescapeIdentifier(
  text: string,
  start: number,
  end: number,
  withEquals: boolean,
): string {
  const firstBackslash = text.indexOf('\\', start);
  if (firstBackslash === -1 || firstBackslash >= end) return text.slice(start, end);
  let out = '';
  let runStart = start;
  for (let i = firstBackslash; i < end - 1; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    const next = text.charCodeAt(i + 1);
    if (next === COMMA || next === SPACE || next === BACKSLASH || (withEquals && next === EQUALS)) {
      out += text.slice(runStart, i);
      runStart = i + 1; // keep the escaped character, drop the backslash
      i++;
    }
  }
  return out + text.slice(runStart, end);
}

/** Unescapes the inside of a string field value: only `\"` and `\\` are escapes. */
export function unescapeStringField(text: string, start: number, end: number): string {
  let out = '';
  let runStart = start;
  for (let i = start; i < end - 1; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    const next = text.charCodeAt(i + 1);
    if (next === QUOTE || next === BACKSLASH) {
      out += text.slice(runStart, i);
      runStart = i + 1;
      i++;
    }
  }
  return out + text.slice(runStart, end);
}
