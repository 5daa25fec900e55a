import { Writable } from 'node:stream';
import { createLogger } from './create-logger';
import { NestPinoLogger } from './nest-pino.logger';

function captureLogger(level = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger('test-service', level, sink), lines };
}

describe('createLogger', () => {
  it('writes JSON lines carrying the service name and a string level', () => {
    const { logger, lines } = captureLogger();
    logger.info({ batch: 3 }, 'stored');
    expect(lines[0]).toMatchObject({
      service: 'test-service',
      level: 'info',
      batch: 3,
      msg: 'stored',
    });
  });

  it('redacts authorization headers, api keys, passwords and tokens', () => {
    const { logger, lines } = captureLogger();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', host: 'x' } },
        tenant: { apiKey: 'k-123', name: 'demo' },
        db: { password: 'pw' },
        session: { token: 't-1' },
      },
      'request',
    );
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/Bearer abc|k-123|"pw"|t-1/);
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[redacted]', host: 'x' } },
      tenant: { apiKey: '[redacted]', name: 'demo' },
    });
  });

  it('respects the level', () => {
    const { logger, lines } = captureLogger('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((line) => line['msg'])).toEqual(['shown']);
  });
});

describe('NestPinoLogger', () => {
  it('maps Nest context and error stacks to fields', () => {
    const { logger, lines } = captureLogger('trace');
    const nest = new NestPinoLogger(logger);
    nest.log('Mapped {/metrics, GET} route', 'RouterExplorer');
    nest.error('boom', 'Error: boom\n    at x (y.ts:1:1)', 'ExceptionsHandler');
    nest.verbose('fine detail');
    expect(lines[0]).toMatchObject({
      level: 'info',
      context: 'RouterExplorer',
      msg: 'Mapped {/metrics, GET} route',
    });
    expect(lines[1]).toMatchObject({ level: 'error', context: 'ExceptionsHandler', msg: 'boom' });
    expect(String(lines[1]['stack'])).toContain('at x (y.ts:1:1)');
    expect(lines[2]).toMatchObject({ level: 'trace', msg: 'fine detail' });
  });

  it('serialises Error objects', () => {
    const { logger, lines } = captureLogger();
    new NestPinoLogger(logger).error(new Error('pool exhausted'));
    expect(lines[0]).toMatchObject({ msg: 'pool exhausted', err: { message: 'pool exhausted' } });
  });
});
