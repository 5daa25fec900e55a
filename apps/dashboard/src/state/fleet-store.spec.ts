import { FleetStore } from './fleet-store';

describe('fleet store', () => {
  it('notifies listeners once per scheduled frame however many devices changed', () => {
    const frames: Array<() => void> = [];
    const store = new FleetStore((flush) => frames.push(flush));
    const listener = jest.fn();
    store.subscribe(listener);
    for (let i = 0; i < 1000; i++) {
      store.applyLive(`d${i}`, [{ metric: 'temperature', time: 1000 + i, value: i }]);
    }
    expect(frames).toHaveLength(1);
    frames[0]();
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.state('d999')?.latest.get('temperature')?.value).toBe(999);
  });

  it('never lets an older latest value replace a newer live one', () => {
    const store = new FleetStore(() => undefined);
    store.applyLive('d1', [{ metric: 'temperature', time: 2000, value: 2 }]);
    store.applyLatest('d1', [{ metric: 'temperature', time: 1000, value: 1 }]);
    expect(store.state('d1')?.latest.get('temperature')?.value).toBe(2);
    expect(store.state('d1')?.lastSeenAt).toBe(2000);
  });
});
