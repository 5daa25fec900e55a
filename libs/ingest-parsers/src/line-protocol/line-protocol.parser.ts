import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { RawReading } from '@sluice/contracts';
import { checkTag } from '../identifier-validation';
import { digitsValue, integerDigitsToEpochMs, MAX_EPOCH_MS } from '../epoch-time';
import type { ParsedPoint, ParseError } from '../parse-result';
import { BodyLimitError } from './line-protocol.errors';
import {
  DEFAULT_LIMITS,
  type LineProtocolLimits,
  type LineProtocolParserOptions,
  type LineProtocolRequestOptions,
  type Precision,
} from './line-protocol.options';
import { escapedPairAt, hashStep, SeriesMapper, type SeriesMapping } from './line-protocol.series';
import { unescapeIdentifier, unescapeStringField } from './line-protocol.unescape';

/** Points of a body (or of the lines a stream chunk completed) and the lines that failed. */
export interface LineProtocolParseResult {
  points: ParsedPoint[];
  /** The first `maxErrors` failures, in line order. */
  errors: ParseError[];
  /** All failed lines, including those past `maxErrors`. */
  errorCount: number;
  readingCount: number;
}

const TAB = 9;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const EQUALS = 61;
const BACKSLASH = 92;

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, exponent) => 10 ** exponent);
const MAX_INT64 = '9223372036854775807';
const MIN_INT64_MAGNITUDE = '9223372036854775808';
const MAX_UINT64 = '18446744073709551615';
const MS_PER: Record<'m' | 'h', number> = { m: 60_000, h: 3_600_000 };
// Error messages quote the line like InfluxDB does, but a megabyte-long line is cut.
const MAX_QUOTED_LINE = 512;

/**
 * InfluxDB line protocol → readings. Long-lived: create one per mapping configuration and reuse it,
 * so the caches of series keys and metric names (bounded) carry over between requests.
 */
export class LineProtocolParser {
  private readonly mapper: SeriesMapper;
  private readonly limits: Required<LineProtocolLimits>;

  constructor(private readonly options: LineProtocolParserOptions = {}) {
    this.mapper = new SeriesMapper(options);
    this.limits = {
      maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes,
      maxLines: options.maxLines ?? DEFAULT_LIMITS.maxLines,
      maxErrors: options.maxErrors ?? DEFAULT_LIMITS.maxErrors,
    };
  }

  /**
   * Parses a whole body. Bad lines do not fail the body: their errors come back next to the good
   * points (InfluxDB's partial write). Throws {@link BodyLimitError} when the body is too large.
   */
  parse(body: string | Buffer, request: LineProtocolRequestOptions = {}): LineProtocolParseResult {
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    if (bytes > this.limits.maxBytes) throw new BodyLimitError('bytes', this.limits.maxBytes);
    const text = typeof body === 'string' ? body : decodeBody(body);
    return this.createStream(request).scan(text, true);
  }

  /** Incremental parsing of a body that arrives in chunks (e.g. from a gunzip stream). */
  createStream(request: LineProtocolRequestOptions = {}): LineProtocolStream {
    return new LineProtocolStream(
      this.mapper,
      this.options.stringFields ?? 'tag',
      this.limits,
      request.precision ?? 'ns',
      truncateToPrecision(request.defaultTime ?? Date.now(), request.precision ?? 'ns'),
    );
  }
}

/** Parses a whole body with a one-off parser; prefer a long-lived {@link LineProtocolParser}. */
export function parseLineProtocol(
  body: string | Buffer,
  options: LineProtocolParserOptions & LineProtocolRequestOptions = {},
): LineProtocolParseResult {
  return new LineProtocolParser(options).parse(body, options);
}

function truncateToPrecision(time: number, precision: Precision): number {
  const unit =
    precision === 's' ? 1000 : precision === 'm' || precision === 'h' ? MS_PER[precision] : 1;
  return Math.floor(time / unit) * unit;
}

/**
 * One body being parsed. `write` returns the points of the lines each chunk completed; a line
 * split across chunks is kept until its end arrives, and line numbers run across chunks.
 */
export class LineProtocolStream {
  private carry = '';
  private readonly decoder = new StringDecoder('utf8');
  private bytes = 0;
  private line = 1;
  private pointsSeen = 0;
  private errorsSeen = 0;
  private ended = false;

  // Per-line scratch, reused so a line allocates only what it returns.
  private series: SeriesMapping | undefined;
  private reason = '';
  private fieldCount = 0;
  private readonly fieldMetrics: string[] = [];
  private readonly fieldValues: number[] = [];
  private stringCount = 0;
  private readonly stringKeys: string[] = [];
  private readonly stringValues: string[] = [];
  private embeddedNewlines = 0;
  private keyHash = 0;
  private time = 0;

  constructor(
    private readonly mapper: SeriesMapper,
    private readonly stringFields: 'tag' | 'reject' | 'ignore',
    private readonly limits: Required<LineProtocolLimits>,
    private readonly precision: Precision,
    private readonly defaultTime: number,
  ) {}

  write(chunk: string | Buffer): LineProtocolParseResult {
    if (this.ended) throw new Error('line protocol stream: write after end');
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.bytes > this.limits.maxBytes) throw new BodyLimitError('bytes', this.limits.maxBytes);
    const decoded = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    // A chunk that completes no line is only appended: rescanning a long unfinished line on every
    // chunk would make one 16 MB line (or a gzip bomb without newlines) cost quadratic time.
    if (decoded.indexOf('\n') < 0) {
      this.carry += decoded;
      return emptyResult();
    }
    let text = this.carry + decoded;
    // A CR at the very end may be the first half of a CRLF: decide when the next chunk comes.
    let heldBack = '';
    if (text.charCodeAt(text.length - 1) === CARRIAGE_RETURN) {
      heldBack = '\r';
      text = text.slice(0, -1);
    }
    const result = emptyResult();
    const consumed = this.scanInto(text, false, result);
    this.carry = text.slice(consumed) + heldBack;
    return result;
  }

  end(): LineProtocolParseResult {
    if (this.ended) throw new Error('line protocol stream: end called twice');
    const text = this.carry + this.decoder.end();
    this.carry = '';
    return this.scan(text, true);
  }

  /** @internal whole-text scan used by {@link LineProtocolParser.parse}. */
  scan(text: string, final: boolean): LineProtocolParseResult {
    const result = emptyResult();
    this.scanInto(text, final, result);
    if (final) this.ended = true;
    return result;
  }

  /** Parses the complete lines of `text`; returns how much of it was consumed. */
  private scanInto(text: string, final: boolean, result: LineProtocolParseResult): number {
    const length = text.length;
    // Lines past the last newline are incomplete unless the body has ended (no re-scan of a long
    // partial line on every chunk).
    const lastNewline = final ? length : text.lastIndexOf('\n');
    let pos = 0;
    while (pos < length) {
      let start = pos;
      let c = text.charCodeAt(start);
      while (c === SPACE || c === TAB) c = text.charCodeAt(++start);
      if (start >= length) return final ? length : pos;
      if (c === NEWLINE || (c === CARRIAGE_RETURN && text.charCodeAt(start + 1) === NEWLINE)) {
        pos = start + (c === NEWLINE ? 1 : 2);
        this.line++;
        continue;
      }
      if (start > lastNewline) return pos;
      if (c === HASH) {
        const newline = text.indexOf('\n', start);
        if (newline === -1) return length; // only reachable when final
        pos = newline + 1;
        this.line++;
        continue;
      }
      if (++this.pointsSeen > this.limits.maxLines) {
        throw new BodyLimitError('lines', this.limits.maxLines);
      }
      let end = this.parsePoint(text, start);
      const failed = end < 0;
      if (failed) end = lineEnd(text, start);
      if (end >= length && !final) {
        this.pointsSeen--;
        return pos;
      }
      if (failed) {
        this.recordError(text, start, end, result);
      } else {
        this.emitPoint(result);
        this.line += this.embeddedNewlines;
      }
      if (end >= length) return length;
      pos = end + (text.charCodeAt(end) === CARRIAGE_RETURN ? 2 : 1);
      this.line++;
    }
    return pos;
  }

  private recordError(
    text: string,
    start: number,
    end: number,
    result: LineProtocolParseResult,
  ): void {
    const lineNumber = this.line;
    for (let i = start; i < end; i++) if (text.charCodeAt(i) === NEWLINE) this.line++;
    this.errorsSeen++;
    result.errorCount++;
    if (this.errorsSeen > this.limits.maxErrors) return;
    let quoted = text.slice(start, text.charCodeAt(end - 1) === CARRIAGE_RETURN ? end - 1 : end);
    if (quoted.length > MAX_QUOTED_LINE) quoted = `${quoted.slice(0, MAX_QUOTED_LINE)}…`;
    result.errors.push({
      line: lineNumber,
      reason: this.reason,
      message: `unable to parse '${quoted}': ${this.reason} (line ${lineNumber})`,
    });
  }

  private emitPoint(result: LineProtocolParseResult): void {
    const series = this.series as SeriesMapping;
    let tags = series.tags;
    if (this.stringCount > 0) {
      const withStrings: Record<string, string> = { ...tags };
      for (let s = 0; s < this.stringCount; s++) {
        withStrings[this.stringKeys[s]] = this.stringValues[s];
      }
      tags = withStrings;
    }
    const readings: RawReading[] = new Array(this.fieldCount);
    for (let f = 0; f < this.fieldCount; f++) {
      readings[f] = {
        metric: this.fieldMetrics[f],
        time: this.time,
        value: this.fieldValues[f],
        tags,
      };
    }
    result.points.push({ device: series.device, line: this.line, readings });
    result.readingCount += this.fieldCount;
  }

  private fail(reason: string): -1 {
    this.reason = reason;
    return -1;
  }

  /**
   * Parses the point starting at `start` into the scratch fields. Returns the index of the line's
   * end (newline, CR of a CRLF, or end of text), or -1 with `reason` set.
   */
  private parsePoint(text: string, start: number): number {
    this.fieldCount = 0;
    this.stringCount = 0;
    this.embeddedNewlines = 0;

    // The key (measurement and tags) runs to the first unescaped space.
    const length = text.length;
    let i = start;
    let c = 0;
    let hash = 0;
    for (; i < length; i++) {
      c = text.charCodeAt(i);
      // Fast path: nothing at or below the space, and no backslash, is special in a key.
      if (c > SPACE && c !== BACKSLASH) {
        hash = hashStep(hash, c);
        continue;
      }
      if (c === SPACE || c === NEWLINE || (c === CARRIAGE_RETURN && isLineEnd(text, i))) break;
      hash = hashStep(hash, c);
      if (escapedPairAt(text, i, length)) hash = hashStep(hash, text.charCodeAt(++i));
    }
    const hasFields = i < length && c === SPACE;
    const series = this.mapper.resolveSeries(text, start, i, hash, hasFields);
    if (series.error !== undefined) return this.fail(series.error);
    this.series = series;

    while (text.charCodeAt(i) === SPACE) i++;
    if (isLineEnd(text, i)) return this.fail('missing fields');

    for (;;) {
      // field key
      const keyStart = i;
      if (text.charCodeAt(i) === EQUALS) return this.fail('missing field key');
      hash = 0;
      for (; ; i++) {
        c = text.charCodeAt(i);
        // Fast path: letters, digits and most punctuation sort above '=' (except '\\').
        if (c > EQUALS && c !== BACKSLASH) {
          hash = hashStep(hash, c);
          continue;
        }
        if (c === EQUALS) break;
        if (c === SPACE || c === COMMA || isLineEnd(text, i)) {
          return this.fail('invalid field format');
        }
        hash = hashStep(hash, c);
        if (escapedPairAt(text, i, length)) hash = hashStep(hash, text.charCodeAt(++i));
      }
      this.keyHash = hash;
      const keyEnd = i++;
      c = text.charCodeAt(i);
      if (c === SPACE || c === COMMA || isLineEnd(text, i)) return this.fail('missing field value');

      if (c === QUOTE) {
        i = this.scanStringField(text, keyStart, keyEnd, i + 1);
      } else if ((c >= 48 && c <= 57) || c === MINUS || c === DOT) {
        i = this.scanNumberField(text, keyStart, keyEnd, i);
      } else {
        i = this.scanBooleanField(text, keyStart, keyEnd, i);
      }
      if (i < 0) return -1;

      c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === SPACE) break;
      if (isLineEnd(text, i)) return this.finishPoint(i, this.defaultTime);
      return this.fail('invalid field format');
    }

    while (text.charCodeAt(i) === SPACE) i++;
    if (isLineEnd(text, i)) return this.finishPoint(i, this.defaultTime);
    return this.scanTimestamp(text, i);
  }

  private finishPoint(end: number, time: number): number {
    if (this.fieldCount === 0) {
      return this.fail('no numeric or boolean field (string fields alone make no reading)');
    }
    if (this.stringCount > 0) {
      const problem = this.checkStringTags();
      if (problem !== undefined) return this.fail(problem);
    }
    this.time = time;
    return end;
  }

  private checkStringTags(): string | undefined {
    const seriesTags = (this.series as SeriesMapping).tags;
    for (let s = 0; s < this.stringCount; s++) {
      const key = this.stringKeys[s];
      if (seriesTags !== undefined && Object.prototype.hasOwnProperty.call(seriesTags, key)) {
        return `string field ${JSON.stringify(key)} has the same name as a tag`;
      }
      const problem = checkTag(key, this.stringValues[s]);
      if (problem !== undefined) return `string field kept as tag: ${problem}`;
    }
    return undefined;
  }

  private addReading(text: string, keyStart: number, keyEnd: number, value: number): number {
    const series = this.series as SeriesMapping;
    const resolution = this.mapper.resolveMetric(series, text, keyStart, keyEnd, this.keyHash);
    if (typeof resolution !== 'string') return this.fail(resolution.error);
    // A repeated field key: the last value wins, as in InfluxDB.
    let f = 0;
    while (f < this.fieldCount && this.fieldMetrics[f] !== resolution) f++;
    this.fieldMetrics[f] = resolution;
    this.fieldValues[f] = value;
    if (f === this.fieldCount) this.fieldCount++;
    return 0;
  }

  /** `i` is just past the opening quote; returns the index after the closing quote. */
  private scanStringField(text: string, keyStart: number, keyEnd: number, i: number): number {
    const valueStart = i;
    let escaped = false;
    for (;;) {
      if (i >= text.length) return this.fail('unbalanced quotes');
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(i + 1);
        if (next === QUOTE || next === BACKSLASH) {
          escaped = true;
          i += 2;
          continue;
        }
      } else if (c === NEWLINE) {
        this.embeddedNewlines++;
      }
      i++;
    }
    if (this.stringFields === 'ignore') return i + 1;
    const key = unescapeIdentifier(text, keyStart, keyEnd, true);
    if (this.stringFields === 'reject') {
      return this.fail(
        `string field ${JSON.stringify(key)} refused: only numeric and boolean fields are accepted`,
      );
    }
    const value = escaped ? unescapeStringField(text, valueStart, i) : text.slice(valueStart, i);
    let s = 0;
    while (s < this.stringCount && this.stringKeys[s] !== key) s++;
    this.stringKeys[s] = key;
    this.stringValues[s] = value;
    if (s === this.stringCount) this.stringCount++;
    return i + 1;
  }

  /**
   * Float (`1`, `-1.5`, `.5`, `1e-3`), integer (`1i`) or unsigned (`1u`). Returns the index after
   * the number. Values are doubles: integers beyond 2^53 are rounded to the nearest double.
   */
  private scanNumberField(text: string, keyStart: number, keyEnd: number, i: number): number {
    const numberStart = i;
    const negative = text.charCodeAt(i) === MINUS;
    if (negative) i++;
    let mantissa = 0;
    let digits = 0;
    let fractionDigits = 0;
    let dot = false;
    let exponent = false;
    let exponentDigits = 0;
    let suffix = 0; // 'i' or 'u'
    for (;;) {
      const c = text.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        if (exponent) {
          exponentDigits++;
        } else {
          mantissa = mantissa * 10 + (c - 48);
          digits++;
          if (dot) fractionDigits++;
        }
      } else if (c === DOT) {
        if (dot || exponent) return this.fail('invalid number');
        dot = true;
      } else if ((c === 101 || c === 69) && digits > 0 && !exponent) {
        exponent = true;
        const sign = text.charCodeAt(i + 1);
        if (sign === 43 || sign === MINUS) i++;
      } else if ((c === 105 || c === 117) && digits > 0) {
        suffix = c;
        i++;
        break;
      } else {
        break;
      }
      i++;
    }
    const numberEnd = suffix === 0 ? i : i - 1;
    const next = text.charCodeAt(i);
    if (
      digits === 0 ||
      (exponent && exponentDigits === 0) ||
      (suffix !== 0 && (dot || exponent)) ||
      (suffix === 117 && negative) ||
      !(next === COMMA || next === SPACE || isLineEnd(text, i))
    ) {
      return this.fail('invalid number');
    }
    if (suffix !== 0) {
      const problem = integerRangeProblem(text, numberStart, numberEnd, negative, suffix === 117);
      if (problem !== undefined) return this.fail(problem);
    }
    let value: number;
    if (!exponent && digits <= 15) {
      // Exact mantissa and power of ten: one correctly rounded division equals a full parse.
      value = fractionDigits === 0 ? mantissa : mantissa / POWERS_OF_TEN[fractionDigits];
      if (negative) value = -value;
    } else {
      value = Number(text.slice(numberStart, numberEnd));
      if (!Number.isFinite(value)) return this.fail('invalid float');
    }
    return this.addReading(text, keyStart, keyEnd, value) < 0 ? -1 : i;
  }

  /** t, T, true, True, TRUE, f, F, false, False, FALSE → reading 1 or 0. */
  private scanBooleanField(text: string, keyStart: number, keyEnd: number, i: number): number {
    const start = i;
    let c = text.charCodeAt(i);
    while (!(c === COMMA || c === SPACE || isLineEnd(text, i))) c = text.charCodeAt(++i);
    let value: number;
    switch (text.slice(start, i)) {
      case 't':
      case 'T':
      case 'true':
      case 'True':
      case 'TRUE':
        value = 1;
        break;
      case 'f':
      case 'F':
      case 'false':
      case 'False':
      case 'FALSE':
        value = 0;
        break;
      default: {
        const first = text.charCodeAt(start);
        return this.fail(first === 78 || first === 110 ? 'invalid number' : 'invalid boolean');
      }
    }
    return this.addReading(text, keyStart, keyEnd, value) < 0 ? -1 : i;
  }

  private scanTimestamp(text: string, i: number): number {
    const negative = text.charCodeAt(i) === MINUS;
    if (negative) i++;
    const digitsStart = i;
    let c = text.charCodeAt(i);
    while (c >= 48 && c <= 57) c = text.charCodeAt(++i);
    const digitsEnd = i;
    if (digitsEnd === digitsStart || !(c === SPACE || isLineEnd(text, i))) {
      return this.fail('bad timestamp');
    }
    while (text.charCodeAt(i) === SPACE) i++;
    if (!isLineEnd(text, i)) return this.fail('point is invalid');
    if (negative) {
      return this.fail('negative timestamps (before 1970-01-01T00:00:00Z) are not supported');
    }
    const precision = this.precision;
    const time =
      precision === 'm' || precision === 'h'
        ? digitsValue(text, digitsStart, digitsEnd) * MS_PER[precision]
        : integerDigitsToEpochMs(text, digitsStart, digitsEnd, precision);
    if (time === undefined || time > MAX_EPOCH_MS) {
      return this.fail('time outside range 0 - 9223372036854775806 (nanoseconds since 1970)');
    }
    return this.finishPoint(i, time);
  }
}

/**
 * Bodies are almost always ASCII; decoding those as latin1 is a plain copy into a one-byte string
 * and gives the same text as UTF-8 decoding, which has to validate every byte.
 */
function decodeBody(body: Buffer): string {
  return isAscii(body) ? body.toString('latin1') : body.toString('utf8');
}

function emptyResult(): LineProtocolParseResult {
  return { points: [], errors: [], errorCount: 0, readingCount: 0 };
}

/** End of text, a newline, or the CR of a CRLF (a CR ending the text counts too). */
function isLineEnd(text: string, i: number): boolean {
  if (i >= text.length) return true;
  const c = text.charCodeAt(i);
  if (c === NEWLINE) return true;
  return c === CARRIAGE_RETURN && (i + 1 >= text.length || text.charCodeAt(i + 1) === NEWLINE);
}

/**
 * Where a line that failed to parse ends. Uses InfluxDB's own line splitting (models.scanLine): a
 * newline inside a quoted field value does not end the line, so one bad point is one error.
 */
function lineEnd(text: string, start: number): number {
  let inFields = false;
  let quoted = false;
  let equals = 0;
  let commas = 0;
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      i += 2;
      continue;
    }
    if (c === SPACE) inFields = true;
    if (inFields) {
      if (!quoted && c === EQUALS) equals++;
      else if (!quoted && c === COMMA) commas++;
      else if (c === QUOTE && equals > commas) quoted = !quoted;
    }
    if (c === NEWLINE && !quoted) {
      return text.charCodeAt(i - 1) === CARRIAGE_RETURN ? i - 1 : i;
    }
    i++;
  }
  return text.length;
}

function integerRangeProblem(
  text: string,
  start: number,
  end: number,
  negative: boolean,
  unsigned: boolean,
): string | undefined {
  let first = negative ? start + 1 : start;
  while (first < end - 1 && text.charCodeAt(first) === 48) first++;
  const significant = end - first;
  const limit = unsigned ? MAX_UINT64 : negative ? MIN_INT64_MAGNITUDE : MAX_INT64;
  if (significant < limit.length) return undefined;
  if (significant === limit.length && text.slice(first, end) <= limit) return undefined;
  const kind = unsigned ? 'unsigned' : 'integer';
  return `unable to parse ${kind} ${text.slice(start, end)}: value out of range`;
}
