import { isValidTraceparent } from '@sluice/contracts';
import { gatewayTraceparent } from './trace-context';

describe('gateway trace context', () => {
  it('continues the caller’s trace with a new span id', () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const out = gatewayTraceparent(incoming);
    expect(out).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(out).not.toBe(incoming);
  });

  it('starts a new trace when the header is missing or malformed', () => {
    for (const incoming of [
      undefined,
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    ]) {
      const out = gatewayTraceparent(incoming);
      expect(isValidTraceparent(out)).toBe(true);
    }
  });
});
