import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm start` builds the dashboard through Nx, whose cache makes this a few-second no-op when
 * nothing under apps/dashboard changed and rebuilds it when anything did (a stale dist is never
 * served). SLUICE_SKIP_DASHBOARD_BUILD=1 skips it (the gateway then serves whatever dist exists,
 * or a "not built" page).
 */
export function buildDashboard(repoRoot: string, onStatus: (message: string) => void): void {
  if (process.env.SLUICE_SKIP_DASHBOARD_BUILD === '1') return;
  onStatus('building dashboard (nx build dashboard, cached when unchanged)');
  const result = spawnSync(
    join(repoRoot, 'node_modules', '.bin', 'nx'),
    ['build', 'dashboard', '--outputStyle=static'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NODE_ENV: 'production' },
    },
  );
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const size = /\[dashboard\] initial JS: .*/.exec(output)?.[0];
  if (size) onStatus(size.replace('[dashboard] ', 'dashboard '));
  if (result.status !== 0) {
    // The pipeline is still useful without the dashboard: say so and go on.
    onStatus(`dashboard build failed (exit ${result.status}); the API runs anyway:\n${output}`);
  }
}
