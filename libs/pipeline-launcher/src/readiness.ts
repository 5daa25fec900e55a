import { request } from 'node:http';

export function httpGetStatus(url: string, timeoutMs = 2_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers 200, failing early if `abort` settles first (e.g. the process died). */
export async function waitForHttpOk(
  url: string,
  options: { timeoutMs: number; abort?: Promise<never>; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = 'not tried yet';
  let aborted: unknown;
  options.abort?.catch((error: unknown) => {
    aborted = error;
  });
  while (Date.now() < deadline) {
    if (aborted) throw aborted;
    try {
      const status = await httpGetStatus(url);
      if (status === 200) return;
      lastProblem = `HTTP ${status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `${options.what} was not ready within ${options.timeoutMs} ms (${url}: ${lastProblem})`,
  );
}
