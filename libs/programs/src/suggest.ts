import { closest, distance } from 'fastest-levenshtein';

/**
 * The closest candidate to a misspelt name, when it is close enough to be what was meant: at most
 * a third of the characters differ (at least two, so a swapped pair like "esle" → "else" counts;
 * one for names of one or two characters), so "temprature" suggests "temperature" but "x" does
 * not suggest "humidity".
 */
export function suggest(name: string, candidates: Iterable<string>): string | null {
  const list = [...candidates];
  if (list.length === 0 || name.length === 0) return null;
  const best = closest(name, list);
  const longest = Math.max(name.length, best.length);
  const allowed = longest <= 2 ? 1 : Math.max(2, Math.floor(longest / 3));
  return distance(name, best) <= allowed && best !== name ? best : null;
}

/** ` — did you mean "x"?`, or an empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const best = suggest(name, candidates);
  return best === null ? '' : ` — did you mean ${JSON.stringify(best)}?`;
}

/** Operators people type by habit from other languages, mapped to ours. */
const OPERATOR_ALIASES: Record<string, string> = {
  '=>': '>=',
  '=<': '<=',
  '≥': '>=',
  '≤': '<=',
  '=': '==',
  '===': '==',
  '!==': '!=',
  '<>': '!=',
  '≠': '!=',
  gt: '>',
  gte: '>=',
  ge: '>=',
  lt: '<',
  lte: '<=',
  le: '<=',
  eq: '==',
  ne: '!=',
  neq: '!=',
};

export function suggestOperator(text: string): string | null {
  return OPERATOR_ALIASES[text.toLowerCase()] ?? null;
}
