/**
 * Unit normalisation: every reading leaves the transformer in one canonical unit per quantity, so
 * aggregates never mix °F with °C or kW with W. Unknown units are refused (`unknown_unit`) rather
 * than passed on, because a window or rollup over mixed units is silently wrong.
 *
 * | quantity    | canonical | accepted                                              |
 * |-------------|-----------|-------------------------------------------------------|
 * | temperature | °C        | °C C degC celsius · °F F degF fahrenheit · K kelvin   |
 * | power       | W         | W watt watts · mW · kW · MW                           |
 * | energy      | Wh        | Wh · kWh · MWh · J · kJ                               |
 * | ratio       | %         | % percent pct                                         |
 * | pressure    | Pa        | Pa · hPa · kPa · mbar · bar · psi                     |
 * | voltage     | V         | V · mV · kV                                           |
 * | current     | A         | A · mA                                                |
 * | frequency   | Hz        | Hz · kHz                                              |
 * | duration    | s         | s · ms · min · h                                      |
 * | length      | m         | m · mm · cm · km                                      |
 * | illuminance | lx        | lx lux                                                |
 * | as is       | —         | rpm · ppm · ppb · dB · dBm · µg/m³ (ug/m3) · m/s · l/min · count |
 *
 * Symbols are case-sensitive (mW ≠ MW); word aliases are matched case-insensitively.
 */

interface UnitRule {
  canonical: string;
  toCanonical: (value: number) => number;
}

const identity = (value: number): number => value;
const scale =
  (factor: number) =>
  (value: number): number =>
    value * factor;

const rules = new Map<string, UnitRule>();

function define(canonical: string, toCanonical: UnitRule['toCanonical'], aliases: string[]): void {
  for (const alias of aliases) rules.set(alias, { canonical, toCanonical });
}

define('°C', identity, ['°C', 'C', 'degC', 'celsius']);
define('°C', (f) => ((f - 32) * 5) / 9, ['°F', 'F', 'degF', 'fahrenheit']);
define('°C', (k) => k - 273.15, ['K', 'kelvin']);
define('W', identity, ['W', 'watt', 'watts']);
define('W', scale(1e-3), ['mW']);
define('W', scale(1e3), ['kW']);
define('W', scale(1e6), ['MW']);
define('Wh', identity, ['Wh']);
define('Wh', scale(1e3), ['kWh']);
define('Wh', scale(1e6), ['MWh']);
define('Wh', scale(1 / 3600), ['J']);
define('Wh', scale(1 / 3.6), ['kJ']);
define('%', identity, ['%', 'percent', 'pct']);
define('Pa', identity, ['Pa']);
define('Pa', scale(100), ['hPa', 'mbar']);
define('Pa', scale(1e3), ['kPa']);
define('Pa', scale(1e5), ['bar']);
define('Pa', scale(6894.757293168), ['psi']);
define('V', identity, ['V']);
define('V', scale(1e-3), ['mV']);
define('V', scale(1e3), ['kV']);
define('A', identity, ['A']);
define('A', scale(1e-3), ['mA']);
define('Hz', identity, ['Hz']);
define('Hz', scale(1e3), ['kHz']);
define('s', identity, ['s']);
define('s', scale(1e-3), ['ms']);
define('s', scale(60), ['min']);
define('s', scale(3600), ['h']);
define('m', identity, ['m']);
define('m', scale(1e-3), ['mm']);
define('m', scale(1e-2), ['cm']);
define('m', scale(1e3), ['km']);
define('lx', identity, ['lx', 'lux']);
for (const asIs of ['rpm', 'ppm', 'ppb', 'dB', 'dBm', 'µg/m³', 'm/s', 'l/min', 'count']) {
  define(asIs, identity, [asIs]);
}
define('µg/m³', identity, ['ug/m3']);

// Words (not symbols) may come in any case: "Celsius", "WATTS".
const WORD_ALIASES = new Map(
  [...rules.entries()]
    .filter(([alias]) => /^[a-z]{4,}$/.test(alias))
    .map(([alias, rule]) => [alias, rule] as const),
);

/** Absolute zero: colder readings are sensor faults, not weather. */
const MIN_CELSIUS = -273.15;

export type UnitOutcome =
  | { ok: true; value: number; unit: string | undefined }
  | { ok: false; reason: 'unknown_unit' | 'invalid_value'; detail: string };

/** Converts a value to the canonical unit of its quantity. A reading without unit passes as is. */
export function normaliseUnit(value: number, unit: string | undefined): UnitOutcome {
  if (unit === undefined) return { ok: true, value, unit: undefined };
  const rule = rules.get(unit) ?? WORD_ALIASES.get(unit.toLowerCase());
  if (!rule) {
    return { ok: false, reason: 'unknown_unit', detail: `unit "${unit}" is not in the unit table` };
  }
  const converted = rule.toCanonical(value);
  if (!Number.isFinite(converted)) {
    return {
      ok: false,
      reason: 'invalid_value',
      detail: `${value} ${unit} is not a finite number in ${rule.canonical}`,
    };
  }
  if (rule.canonical === '°C' && converted < MIN_CELSIUS) {
    return {
      ok: false,
      reason: 'invalid_value',
      detail: `${value} ${unit} is below absolute zero`,
    };
  }
  return { ok: true, value: converted, unit: rule.canonical };
}
