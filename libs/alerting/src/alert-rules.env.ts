import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_ALERT_RULES, parseAlertRules, type AlertRulesConfig } from './alert-rules';

/**
 * The alert-rule variables every detecting service reads (stream-transformer, aggregator), so a
 * mistake in the rules stops the service at start with the parser's message.
 */
export const alertRulesEnv = {
  /** Alert rules as JSON (see the README); wins over ALERT_RULES_FILE. */
  ALERT_RULES: z
    .string()
    .superRefine((value, ctx) => {
      try {
        parseAlertRules(value);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: error instanceof Error ? error.message : String(error),
        });
      }
    })
    .optional(),
  /** Path of a JSON file with the alert rules. */
  ALERT_RULES_FILE: z.string().min(1).optional(),
};

/** `ALERT_RULES` (inline JSON) wins over `ALERT_RULES_FILE`; neither = the defaults. */
export function loadAlertRules(config: {
  ALERT_RULES?: string;
  ALERT_RULES_FILE?: string;
}): AlertRulesConfig {
  if (config.ALERT_RULES !== undefined) return parseAlertRules(config.ALERT_RULES);
  if (config.ALERT_RULES_FILE !== undefined) {
    return parseAlertRules(readFileSync(config.ALERT_RULES_FILE, 'utf8'));
  }
  return DEFAULT_ALERT_RULES;
}
