import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import { startTestBroker } from './test-broker';

function canConnect(address: string): Promise<boolean> {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startTestBroker', () => {
  it('listens on a free port and removes its data directory on stop', async () => {
    const first = await startTestBroker();
    const second = await startTestBroker();
    try {
      expect(first.brokers).toHaveLength(1);
      expect(first.brokers[0]).not.toBe(second.brokers[0]);
      expect(await canConnect(first.brokers[0])).toBe(true);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
    expect(await canConnect(first.brokers[0])).toBe(false);
    await expect(access(first.dataDir)).rejects.toThrow('ENOENT');
  });
});
