import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * The ports a service is told to bind come from below the kernel's ephemeral range: a port the OS
 * hands out for `listen(0)` can be taken by any outgoing connection (a Kafka or PostgreSQL client
 * in a parallel test worker) between the check and the child's bind, which made a gateway exit
 * with EADDRINUSE now and then. Outgoing connections never use ports outside that range.
 */
const FALLBACK_EPHEMERAL_START = 32_768;
const LOWEST_PORT = 10_000;
const ATTEMPTS = 50;

let ephemeralStart: number | undefined;

/** Read once: the range is a kernel setting, not something that moves between calls. */
function ephemeralRangeStart(): number {
  ephemeralStart ??= readEphemeralRangeStart();
  return ephemeralStart;
}

function readEphemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return Number.isInteger(start) && start > LOWEST_PORT + 1_000
      ? start
      : FALLBACK_EPHEMERAL_START;
  } catch {
    return FALLBACK_EPHEMERAL_START;
  }
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on the loopback interface that is free now and outside the ephemeral range. */
export async function findFreePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (end - LOWEST_PORT));
    if (await canBind(port)) return port;
  }
  throw new Error(
    `no free TCP port found on 127.0.0.1 between ${LOWEST_PORT} and ${end} after ${ATTEMPTS} tries`,
  );
}

export async function isPortOpen(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  const { Socket } = await import('node:net');
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.connect(port, host);
  });
}
