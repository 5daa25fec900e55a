import { SubscriptionRegistry } from './subscription-registry';

describe('subscription registry', () => {
  it('matches subscribers by tenant and device', () => {
    const registry = new SubscriptionRegistry<string>();
    registry.subscribe('alice', 'acme', ['d1', 'd2']);
    registry.subscribe('bob', 'other', ['d1']);
    expect([...registry.subscribersOf('acme/d1')]).toEqual(['alice']);
    expect([...registry.subscribersOf('other/d1')]).toEqual(['bob']);
    expect(registry.subscribersOf('acme/d3').size).toBe(0);
    expect(registry.devicesOf('alice')).toEqual(['d1', 'd2']);
  });

  it('forgets unsubscribed devices and removed clients', () => {
    const registry = new SubscriptionRegistry<string>();
    registry.subscribe('alice', 'acme', ['d1', 'd2']);
    registry.subscribe('carol', 'acme', ['d1']);
    registry.unsubscribe('alice', 'acme', ['d1']);
    expect([...registry.subscribersOf('acme/d1')]).toEqual(['carol']);
    expect(registry.countOf('alice')).toBe(1);
    registry.remove('alice');
    registry.remove('carol');
    expect(registry.subscribersOf('acme/d1').size).toBe(0);
    expect(registry.subscribersOf('acme/d2').size).toBe(0);
    expect(registry.countOf('alice')).toBe(0);
  });
});
