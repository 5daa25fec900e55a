import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './repo-paths';

// The image's build step, run here: SWC with deploy/.swcrc must turn apps/ and libs/ into
// CommonJS that Node starts as is (path aliases rewritten, decorators and metadata emitted,
// migrations copied). Each app is started with an invalid PORT, so it must get as far as its
// configuration check — proving every module resolves — and exit with the config error.
const APPS = readdirSync(join(REPO_ROOT, 'apps')).filter((app) =>
  existsSync(join(REPO_ROOT, 'apps', app, 'src/main.ts')),
);

interface Exit {
  code: number | null;
  stderr: string;
}

function runNode(script: string, env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('the image build (SWC with deploy/.swcrc)', () => {
  let outDir: string;

  beforeAll(() => {
    // inside the repository so the built files resolve the workspace's node_modules
    mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
    outDir = mkdtempSync(join(REPO_ROOT, 'tmp', 'ops-checks-build-'));
    execFileSync(
      join(REPO_ROOT, 'node_modules/.bin/swc'),
      ['apps', 'libs', '-d', outDir, '--config-file', 'deploy/.swcrc', '--copy-files'],
      { cwd: REPO_ROOT, stdio: 'pipe' },
    );
  }, 60_000);

  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('emits no test files and keeps the SQL migrations next to the runner', () => {
    const sourceMigrations = readdirSync(join(REPO_ROOT, 'libs/db/migrations')).filter((f) =>
      f.endsWith('.sql'),
    );
    expect(readdirSync(join(outDir, 'libs/db/migrations')).sort()).toEqual(
      expect.arrayContaining(sourceMigrations),
    );
    const specs = execFileSync('find', [outDir, '-name', '*.spec.js'], { encoding: 'utf8' });
    expect(specs.trim()).toBe('');
  });

  it.each(APPS)(
    '%s starts from the built output and stops at its configuration check',
    async (app) => {
      const exit = await runNode(join(outDir, 'apps', app, 'src/main.js'), { PORT: 'not-a-port' });
      expect(exit.stderr).not.toMatch(/Cannot find module|MODULE_NOT_FOUND|SyntaxError/);
      expect(exit.stderr).toContain('Invalid configuration for');
      expect(exit.code).not.toBe(0);
    },
    30_000,
  );

  it('the migration CLI starts and refuses an invalid DATABASE_URL', async () => {
    const exit = await runNode(join(outDir, 'libs/db/src/cli.js'), { DATABASE_URL: 'nope' });
    expect(exit.stderr).toContain('Invalid configuration for migrate');
    expect(exit.code).toBe(2);
  });
});
