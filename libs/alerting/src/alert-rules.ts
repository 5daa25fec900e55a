import { z } from 'zod';
import type { BoundsRule } from './detectors/threshold.detector';
import type { RateOfChangeRule } from './detectors/rate-of-change.detector';
import type { ZScoreRule } from './detectors/zscore.detector';
import type { FlatlineRule } from './detectors/flatline.detector';
import type { SilenceRule } from './detectors/silence.detector';

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export function severityRank(severity: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(severity);
}

/** The detectors that apply to one (tenant, device, metric): absent = off. */
export interface DetectorSettings {
  threshold?: BoundsRule;
  range?: BoundsRule;
  rateOfChange?: RateOfChangeRule;
  zscore?: ZScoreRule;
  flatline?: FlatlineRule;
  silence?: SilenceRule;
}

/** Values a partial rule falls back to when it turns a detector on without giving every field. */
export const DETECTOR_DEFAULTS = {
  threshold: { severity: 'warning' },
  range: { severity: 'critical' },
  rateOfChange: {
    maxPerSecond: Number.POSITIVE_INFINITY,
    maxGapMs: 5 * 60_000,
    severity: 'warning',
  },
  zscore: {
    threshold: 6,
    window: 100,
    minSamples: 30,
    minStdDev: 1e-6,
    resetAfterMs: 60 * 60_000,
    severity: 'warning',
  },
  flatline: { durationMs: 30 * 60_000, epsilon: 0, severity: 'warning' },
  silence: { afterMs: 10 * 60_000, severity: 'warning' },
} as const satisfies { [K in keyof DetectorSettings]-?: Partial<NonNullable<DetectorSettings[K]>> };

const severity = z.enum(ALERT_SEVERITIES);
const bounds = z.object({
  min: z.number().optional(),
  max: z.number().optional(),
  severity: severity.optional(),
});
const positive = z.number().positive();

/** A detector entry in a rule: fields override what less specific rules set; `null` turns it off. */
const detectorPatches = z
  .object({
    threshold: bounds.nullable(),
    range: bounds.nullable(),
    rateOfChange: z
      .object({ maxPerSecond: positive, maxGapMs: positive, severity })
      .partial()
      .nullable(),
    zscore: z
      .object({
        threshold: positive,
        window: z.number().int().min(2),
        minSamples: z.number().int().min(2),
        minStdDev: z.number().nonnegative(),
        resetAfterMs: positive,
        severity,
      })
      .partial()
      .nullable(),
    flatline: z
      .object({ durationMs: positive, epsilon: z.number().nonnegative(), severity })
      .partial()
      .nullable(),
    silence: z.object({ afterMs: positive, severity }).partial().nullable(),
  })
  .partial()
  .strict();
export type DetectorPatches = z.infer<typeof detectorPatches>;

export const AlertRuleSchema = z
  .object({
    match: z
      .object({
        tenant: z.string().min(1),
        metric: z.string().min(1),
        tag: z.object({ key: z.string().min(1), value: z.string() }),
      })
      .partial()
      .strict()
      .default({}),
    detectors: detectorPatches,
  })
  .strict();
export type AlertRule = z.infer<typeof AlertRuleSchema>;

/** `ALERT_RULES` (JSON): `{ "defaults": {detectors}, "rules": [{ "match": {...}, "detectors": {...} }] }`. */
export const AlertRulesConfigSchema = z
  .object({ defaults: detectorPatches.default({}), rules: z.array(AlertRuleSchema).default([]) })
  .strict();
export type AlertRulesConfig = z.infer<typeof AlertRulesConfigSchema>;

/** Out of the box: z-score only (conservative), every other detector waits for configuration. */
export const DEFAULT_ALERT_RULES: AlertRulesConfig = { defaults: { zscore: {} }, rules: [] };

export interface RuleSubject {
  tenant: string;
  /** Undefined when resolving device-level detectors (silence). */
  metric?: string;
  deviceTags: Record<string, string>;
}

function specificity(rule: AlertRule): number {
  // metric beats tag beats tenant; combinations beat their parts
  return (rule.match.tenant ? 1 : 0) + (rule.match.tag ? 2 : 0) + (rule.match.metric ? 4 : 0);
}

function matches(rule: AlertRule, subject: RuleSubject): boolean {
  const { tenant, metric, tag } = rule.match;
  if (tenant !== undefined && tenant !== subject.tenant) return false;
  if (metric !== undefined && metric !== subject.metric) return false;
  if (tag !== undefined && subject.deviceTags[tag.key] !== tag.value) return false;
  return true;
}

/**
 * The detectors for one subject: the defaults, then every matching rule from least to most
 * specific (file order among equals), each overriding fields of what came before.
 */
export function resolveDetectors(config: AlertRulesConfig, subject: RuleSubject): DetectorSettings {
  const layers = [
    config.defaults,
    ...config.rules
      .filter((rule) => matches(rule, subject))
      .map((rule, index) => ({ rule, index }))
      .sort((a, b) => specificity(a.rule) - specificity(b.rule) || a.index - b.index)
      .map(({ rule }) => rule.detectors),
  ];
  const merged: Record<string, Record<string, unknown> | undefined> = {};
  for (const layer of layers) {
    for (const [name, patch] of Object.entries(layer)) {
      if (patch === null) merged[name] = undefined;
      else if (patch !== undefined) merged[name] = { ...(merged[name] ?? {}), ...patch };
    }
  }
  const settings: Record<string, unknown> = {};
  for (const [name, patch] of Object.entries(merged)) {
    if (patch === undefined) continue;
    if (
      (name === 'threshold' || name === 'range') &&
      patch.min === undefined &&
      patch.max === undefined
    )
      continue;
    settings[name] = { ...DETECTOR_DEFAULTS[name as keyof typeof DETECTOR_DEFAULTS], ...patch };
  }
  return settings as DetectorSettings;
}

/** Parses `ALERT_RULES` JSON; errors name the path of the bad field. */
export function parseAlertRules(json: string): AlertRulesConfig {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(
      `alert rules are not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const parsed = AlertRulesConfigSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `invalid alert rules: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}
