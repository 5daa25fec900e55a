import { quickCheck, type RawReading } from '@sluice/contracts';
import { DeviceBatches, type DeviceBatch } from './raw-batch.builder';

// read once: every access to a binding re-exported by a barrel runs a getter
const check = quickCheck;

/** What a plainly valid batch must satisfy besides the field rules (the validator's limits). */
export interface PlainReadingsRules {
  maxReadings: number;
  /** Earliest and latest epoch-ms time accepted (the validator's window around now). */
  earliest: number;
  latest: number;
}

export interface PlainReadings {
  tenant: string | undefined;
  devices: DeviceBatch[];
  count: number;
}

/**
 * Reads the body of `POST /api/v1/readings` straight from its bytes when it is a plainly valid
 * batch — what machines send: strings without escapes, epoch-ms times inside the window, each
 * field once — and returns its readings grouped per device, exactly what `JSON.parse` +
 * `ReadingsRequestValidator` + grouping would have produced for it. Unknown fields are skipped,
 * as the schema ignores them.
 *
 * undefined means "not plain", never "invalid": the caller then parses the text with
 * secure-json-parse and validates it with the schema, which decide and word every problem. So
 * anything unusual bails out — an escape in a string, a repeated field, `null` for a field, an ISO
 * time, a `__proto__` or `constructor` key anywhere (the checked path refuses the first; no object
 * is ever given either as a key here), more readings than allowed, a syntax error.
 *
 * Why: `JSON.parse` needs the whole body as one string, and a 500 kB string lands in V8's large
 * object space, whose fresh pages cost more than parsing it; then the validator and grouping copy
 * every reading twice. Here each reading becomes one object, and repeated strings (devices,
 * metrics, tags) are decoded once per body.
 */
export function parsePlainReadings(
  body: Buffer,
  rules: PlainReadingsRules,
): PlainReadings | undefined {
  return new PlainReadingsParser(body, rules).parse();
}

const TAB = 0x09;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

// Unknown fields nested deeper than this are left to JSON.parse (no recursion without a bound).
const MAX_SKIPPED_DEPTH = 32;
const STRING_CACHE_SLOTS = 1024;

// Up to 15 significant digits and a power of ten up to 22 are both exact doubles, so one division
// or multiplication rounds correctly: the same double as JSON.parse (Clinger's fast path).
const MAX_EXACT_DIGITS = 15;
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);

// Field bits, also used to refuse a repeated key.
const TOP_TENANT = 1;
const TOP_DEVICE = 2;
const TOP_READINGS = 4;
const DEVICE = 1;
const METRIC = 2;
const TIME = 4;
const VALUE = 8;
const UNIT = 16;
const TAGS = 32;

const encodeKey = (key: string): Uint8Array => Buffer.from(key, 'latin1');
const KEYS = {
  tenant: encodeKey('tenant'),
  device: encodeKey('device'),
  readings: encodeKey('readings'),
  metric: encodeKey('metric'),
  time: encodeKey('time'),
  value: encodeKey('value'),
  unit: encodeKey('unit'),
  tags: encodeKey('tags'),
  proto: encodeKey('__proto__'),
  constructor: encodeKey('constructor'),
  true: encodeKey('true'),
  false: encodeKey('false'),
  null: encodeKey('null'),
};

/** A device's last tag set: its keys and values in order, and the frozen object shared by readings. */
interface TagSet {
  flat: string[];
  tags: Readonly<Record<string, string>>;
}

class NotPlain extends Error {}
const notPlain = new NotPlain();

class PlainReadingsParser {
  private pos = 0;
  /** The last string token read: its bytes are body[start, end). */
  private tokenStart = 0;
  private tokenEnd = 0;
  private tokenHash = 0;
  private tokenAscii = true;
  /** Strings decoded so far, by hash of their bytes (a collision only costs a decode). */
  private readonly strings: Array<string | undefined> = new Array<string | undefined>(
    STRING_CACHE_SLOTS,
  ).fill(undefined);
  private readonly goodDevices = new Set<string>();
  private readonly goodMetrics = new Set<string>();
  private readonly batches = new DeviceBatches();
  private readonly tagSets = new Map<string, TagSet>();
  /** The tags of the reading being read, as key, value, key, value, ... in the first `tagCount`. */
  private readonly scratchTags: string[] = [];
  private tagCount = 0;
  private topDevice: string | undefined;
  private count = 0;

  constructor(
    private readonly body: Buffer,
    private readonly rules: PlainReadingsRules,
  ) {}

  parse(): PlainReadings | undefined {
    try {
      return this.batch();
    } catch (error) {
      if (error === notPlain) return undefined;
      throw error;
    }
  }

  private batch(): PlainReadings {
    let tenant: string | undefined;
    let seen = 0;
    this.expect(OPEN_BRACE);
    do {
      this.expect(QUOTE);
      this.stringToken();
      let field = 0;
      if (this.tokenIs(KEYS.readings)) field = TOP_READINGS;
      else if (this.tokenIs(KEYS.device)) field = TOP_DEVICE;
      else if (this.tokenIs(KEYS.tenant)) field = TOP_TENANT;
      else this.refuseForbiddenKey();
      if ((seen & field) !== 0) throw notPlain;
      seen |= field;
      this.expect(COLON);
      if (field === 0) {
        this.skipValue(0);
      } else if (field === TOP_READINGS) {
        this.readings();
      } else {
        const value = this.string();
        const valid = field === TOP_TENANT ? check.tenantId(value) : this.isDevice(value);
        if (!valid) throw notPlain;
        if (field === TOP_TENANT) tenant = value;
        else this.topDevice = value;
      }
    } while (this.next(COMMA, CLOSE_BRACE));
    this.skipWhitespace();
    if (this.pos !== this.body.length || (seen & TOP_READINGS) === 0) throw notPlain;
    return { tenant, devices: this.batches.list(), count: this.count };
  }

  private readings(): void {
    this.expect(OPEN_BRACKET);
    do {
      if (this.count === this.rules.maxReadings) throw notPlain;
      this.reading();
    } while (this.next(COMMA, CLOSE_BRACKET));
  }

  private reading(): void {
    let device = this.topDevice;
    let metric = '';
    let time = NaN;
    let value = NaN;
    let unit: string | undefined;
    let hasTags = false;
    let seen = 0;
    this.expect(OPEN_BRACE);
    do {
      this.expect(QUOTE);
      const field = this.readingField();
      if ((seen & field) !== 0) throw notPlain;
      seen |= field;
      this.expect(COLON);
      switch (field) {
        case 0:
          this.skipValue(0);
          break;
        case DEVICE:
          device = this.string();
          break;
        case METRIC:
          metric = this.string();
          break;
        case TIME:
          time = this.number();
          break;
        case VALUE:
          value = this.number();
          break;
        case UNIT:
          unit = this.string();
          break;
        case TAGS:
          this.tags();
          hasTags = true;
      }
    } while (this.next(COMMA, CLOSE_BRACE));
    // a missing device (no top-level one before the readings) is left to the schema's message
    if (
      (seen & (METRIC | TIME | VALUE)) !== (METRIC | TIME | VALUE) ||
      device === undefined ||
      !this.isDevice(device) ||
      !this.isMetric(metric) ||
      !Number.isSafeInteger(time) ||
      time < 0 ||
      time < this.rules.earliest ||
      time > this.rules.latest ||
      !Number.isFinite(value) ||
      (unit !== undefined && !check.unit(unit))
    ) {
      throw notPlain;
    }
    const reading: RawReading = { metric, time, value };
    if (unit !== undefined) reading.unit = unit;
    if (hasTags) reading.tags = this.internTags(device);
    this.batches.add(device, reading, this.count);
    this.count += 1;
  }

  /** The field bit of the key just read; 0 for a key outside the schema. */
  private readingField(): number {
    this.stringToken();
    const body = this.body;
    const length = this.tokenEnd - this.tokenStart;
    const first = body[this.tokenStart];
    let field: number;
    let key: Uint8Array;
    if (length === 6 && first === 0x64) {
      field = DEVICE;
      key = KEYS.device;
    } else if (length === 6) {
      field = METRIC;
      key = KEYS.metric;
    } else if (length === 4 && first === 0x74 && body[this.tokenStart + 1] === 0x69) {
      field = TIME;
      key = KEYS.time;
    } else if (length === 4 && first === 0x74) {
      field = TAGS;
      key = KEYS.tags;
    } else if (length === 4) {
      field = UNIT;
      key = KEYS.unit;
    } else {
      field = VALUE;
      key = KEYS.value;
    }
    if (this.tokenIs(key)) return field;
    this.refuseForbiddenKey();
    return 0;
  }

  private refuseForbiddenKey(): void {
    if (this.tokenIs(KEYS.proto) || this.tokenIs(KEYS.constructor)) throw notPlain;
  }

  /** Skips a well-formed value of a field the schema ignores. */
  private skipValue(depth: number): void {
    this.skipWhitespace();
    const body = this.body;
    const byte = body[this.pos];
    if (byte === QUOTE) {
      this.pos += 1;
      this.stringToken();
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (depth === MAX_SKIPPED_DEPTH) throw notPlain;
      const close = byte === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      this.pos += 1;
      this.skipWhitespace();
      if (body[this.pos] === close) {
        this.pos += 1;
        return;
      }
      do {
        if (byte === OPEN_BRACE) {
          this.expect(QUOTE);
          this.stringToken();
          this.refuseForbiddenKey();
          this.expect(COLON);
        }
        this.skipValue(depth + 1);
      } while (this.next(COMMA, close));
    } else if (!(
      this.skipLiteral(KEYS.true) ||
      this.skipLiteral(KEYS.false) ||
      this.skipLiteral(KEYS.null)
    )) {
      this.number();
    }
  }

  private skipLiteral(literal: Uint8Array): boolean {
    for (let i = 0; i < literal.length; i += 1)
      if (this.body[this.pos + i] !== literal[i]) return false;
    this.pos += literal.length;
    return true;
  }

  /** A tags object into `scratchTags`: string values only, each key once. */
  private tags(): void {
    const flat = this.scratchTags;
    let count = 0;
    this.tagCount = 0;
    this.expect(OPEN_BRACE);
    this.skipWhitespace();
    if (this.body[this.pos] === CLOSE_BRACE) {
      this.pos += 1;
      return;
    }
    do {
      this.expect(QUOTE);
      this.stringToken();
      this.refuseForbiddenKey();
      const key = this.tokenString();
      for (let i = 0; i < count; i += 2) if (flat[i] === key) throw notPlain;
      this.expect(COLON);
      const value = this.string();
      flat[count] = key;
      flat[count + 1] = value;
      count += 2;
    } while (this.next(COMMA, CLOSE_BRACE));
    this.tagCount = count;
  }

  /**
   * One frozen object per distinct tag set of a device, compared with the device's previous set
   * only: the raw-record encoder serialises a frozen tag object once per body. A new set is
   * checked against the contract's limits here, once.
   */
  private internTags(device: string): Readonly<Record<string, string>> {
    const { scratchTags: flat, tagCount: count } = this;
    const last = this.tagSets.get(device);
    if (last !== undefined && sameStrings(last.flat, flat, count)) return last.tags;
    const tags: Record<string, string> = {};
    for (let i = 0; i < count; i += 2) tags[flat[i]] = flat[i + 1];
    if (!check.tags(tags)) throw notPlain;
    const set = { flat: flat.slice(0, count), tags: Object.freeze(tags) };
    this.tagSets.set(device, set);
    return set.tags;
  }

  private isDevice(device: string): boolean {
    if (this.goodDevices.has(device)) return true;
    if (!check.deviceId(device)) return false;
    this.goodDevices.add(device);
    return true;
  }

  private isMetric(metric: string): boolean {
    if (this.goodMetrics.has(metric)) return true;
    if (!check.metricName(metric)) return false;
    this.goodMetrics.add(metric);
    return true;
  }

  /** A string value: the opening quote is next (after whitespace). */
  private string(): string {
    this.expect(QUOTE);
    this.stringToken();
    return this.tokenString();
  }

  /** Scans a string's bytes after its opening quote; escapes are left to JSON.parse. */
  private stringToken(): void {
    const body = this.body;
    let pos = this.pos;
    let hash = 0;
    let ascii = true;
    const start = pos;
    for (;;) {
      const byte = body[pos];
      if (byte === QUOTE) break;
      // a control character is not JSON; also ends the loop at the end of the body (undefined)
      if (!(byte >= SPACE) || byte === BACKSLASH) throw notPlain;
      if (byte >= 0x80) ascii = false;
      hash = (Math.imul(hash, 31) + byte) | 0;
      pos += 1;
    }
    this.tokenStart = start;
    this.tokenEnd = pos;
    this.tokenHash = hash;
    this.tokenAscii = ascii;
    this.pos = pos + 1;
  }

  private tokenIs(expected: Uint8Array): boolean {
    const length = this.tokenEnd - this.tokenStart;
    if (length !== expected.length) return false;
    for (let i = 0; i < length; i += 1)
      if (this.body[this.tokenStart + i] !== expected[i]) return false;
    return true;
  }

  /**
   * The last string token as a string, an ASCII one decoded once per body for each distinct
   * content. UTF-8 is decoded like the whole body would be: quotes are ASCII, so a string's bytes
   * decode alone as they do in place (invalid sequences become U+FFFD either way).
   */
  private tokenString(): string {
    const { body, tokenStart, tokenEnd } = this;
    if (!this.tokenAscii) return body.toString('utf8', tokenStart, tokenEnd);
    const length = tokenEnd - tokenStart;
    const slot = this.tokenHash & (STRING_CACHE_SLOTS - 1);
    const cached = this.strings[slot];
    if (cached !== undefined && cached.length === length) {
      let same = true;
      for (let i = 0; i < length && same; i += 1)
        same = cached.charCodeAt(i) === body[tokenStart + i];
      if (same) return cached;
    }
    const decoded = body.toString('latin1', tokenStart, tokenEnd);
    this.strings[slot] = decoded;
    return decoded;
  }

  /** A JSON number (strict grammar), as the same double `JSON.parse` makes of it. */
  private number(): number {
    this.skipWhitespace();
    const body = this.body;
    const start = this.pos;
    let pos = start;
    let byte = body[pos];
    const negative = byte === MINUS;
    if (negative) byte = body[++pos];
    let mantissa = 0;
    let digits = 0;
    let exponent = 0;
    if (byte === ZERO) {
      byte = body[++pos];
    } else if (byte > ZERO && byte <= NINE) {
      do {
        mantissa = mantissa * 10 + (byte - ZERO);
        digits += 1;
        byte = body[++pos];
      } while (byte >= ZERO && byte <= NINE);
    } else {
      throw notPlain;
    }
    if (byte === DOT) {
      byte = body[++pos];
      if (!(byte >= ZERO && byte <= NINE)) throw notPlain;
      do {
        mantissa = mantissa * 10 + (byte - ZERO);
        digits += 1;
        exponent -= 1;
        byte = body[++pos];
      } while (byte >= ZERO && byte <= NINE);
    }
    if (byte === LOWER_E || byte === UPPER_E) {
      byte = body[++pos];
      const negativeExponent = byte === MINUS;
      if (negativeExponent || byte === PLUS) byte = body[++pos];
      if (!(byte >= ZERO && byte <= NINE)) throw notPlain;
      let written = 0;
      do {
        // beyond any double's range either way; the slow conversion below gets it right
        if (written < 100_000) written = written * 10 + (byte - ZERO);
        byte = body[++pos];
      } while (byte >= ZERO && byte <= NINE);
      exponent += negativeExponent ? -written : written;
    }
    this.pos = pos;
    if (digits > MAX_EXACT_DIGITS || exponent < -22 || exponent > 22)
      return Number(body.toString('latin1', start, pos));
    const magnitude =
      exponent < 0 ? mantissa / POWERS_OF_TEN[-exponent] : mantissa * POWERS_OF_TEN[exponent];
    return negative ? -magnitude : magnitude;
  }

  /** Skips whitespace, then requires `byte`. */
  private expect(byte: number): void {
    this.skipWhitespace();
    if (this.body[this.pos] !== byte) throw notPlain;
    this.pos += 1;
  }

  /** After a member or element: true at `more` (a comma), false at `end`. */
  private next(more: number, end: number): boolean {
    this.skipWhitespace();
    const byte = this.body[this.pos];
    this.pos += 1;
    if (byte === more) return true;
    if (byte === end) return false;
    throw notPlain;
  }

  private skipWhitespace(): void {
    const body = this.body;
    let pos = this.pos;
    let byte = body[pos];
    while (byte === SPACE || byte === NEWLINE || byte === CARRIAGE_RETURN || byte === TAB)
      byte = body[++pos];
    this.pos = pos;
  }
}

/** `a` equals the first `count` strings of `b`. */
function sameStrings(a: readonly string[], b: readonly string[], count: number): boolean {
  if (a.length !== count) return false;
  for (let i = 0; i < count; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
