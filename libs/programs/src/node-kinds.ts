/**
 * Which construct a JSON object is, from its distinguishing key. One place decides this for the
 * validator (raw JSON) and the compiler (parsed programs), so both always agree.
 */

export const CONDITION_KEYS = [
  'and',
  'or',
  'not',
  'hysteresis',
  'schedule',
  'cron',
  'ref',
] as const;
export type ConditionKind =
  (typeof CONDITION_KEYS)[number] | 'aggregate' | 'comparison' | 'threshold';

export const NODE_KEYS = ['condition', 'do', 'action', 'ref'] as const;
export type NodeKind = 'branch' | 'sequence' | 'action' | 'ref';

export type KindOf<K> = { kind: K } | { ambiguous: string[] } | null;

function has(value: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

export function conditionKindOf(value: object): KindOf<ConditionKind> {
  const present = CONDITION_KEYS.filter((key) => has(value, key));
  if (present.length > 1) return { ambiguous: present };
  if (present.length === 1) return { kind: present[0] };
  if (has(value, 'aggregate')) return { kind: 'aggregate' };
  if (has(value, 'metricRef')) return { kind: 'comparison' };
  if (has(value, 'metric')) return { kind: 'threshold' };
  return null;
}

export function nodeKindOf(value: object): KindOf<NodeKind> {
  const present = NODE_KEYS.filter((key) => has(value, key));
  if (present.length > 1) return { ambiguous: present };
  switch (present[0]) {
    case 'condition':
      return { kind: 'branch' };
    case 'do':
      return { kind: 'sequence' };
    case 'action':
      return { kind: 'action' };
    case 'ref':
      return { kind: 'ref' };
    default:
      return null;
  }
}

/** Every key that starts a construct, for "did you mean" on an unrecognisable object. */
export const CONSTRUCT_KEYS: readonly string[] = [
  ...NODE_KEYS,
  ...CONDITION_KEYS,
  'aggregate',
  'metric',
  'metricRef',
];
