import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { findFreePort } from './free-port';

describe('findFreePort', () => {
  it('returns a bindable loopback port below the range outgoing connections take theirs from', async () => {
    const [ephemeralStart] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    for (let i = 0; i < 20; i += 1) {
      const port = await findFreePort();
      expect(port).toBeLessThan(ephemeralStart);
      await new Promise<void>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
      });
    }
  });
});
