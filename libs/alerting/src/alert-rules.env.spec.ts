import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_ALERT_RULES } from './alert-rules';
import { alertRulesEnv, loadAlertRules } from './alert-rules.env';

describe('alert rules from the environment', () => {
  const schema = z.object(alertRulesEnv);
  const fileRules = { defaults: { silence: { afterMs: 60_000 } }, rules: [] };

  it('refuses ALERT_RULES the rules parser refuses, with its message', () => {
    const parsed = schema.safeParse({ ALERT_RULES: '{"rules": 3}' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].path).toEqual(['ALERT_RULES']);
  });

  it('takes inline ALERT_RULES over ALERT_RULES_FILE, the file over the defaults', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'alert-rules-')), 'rules.json');
    writeFileSync(file, JSON.stringify(fileRules));
    const inline = JSON.stringify({ defaults: { zscore: {} }, rules: [] });
    expect(loadAlertRules({ ALERT_RULES: inline, ALERT_RULES_FILE: file }).defaults).toHaveProperty(
      'zscore',
    );
    expect(loadAlertRules({ ALERT_RULES_FILE: file }).defaults).toHaveProperty('silence');
    expect(loadAlertRules({})).toBe(DEFAULT_ALERT_RULES);
  });
});
