import {
  extractApiKey,
  generateApiKey,
  hasScope,
  hashApiKey,
  mayAccessDevice,
  type Principal,
} from './api-key';

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  keyId: 'k1',
  tenant: 't',
  scopes: ['write'],
  deviceIds: null,
  ...overrides,
});

describe('API keys', () => {
  it('hashes to hex SHA-256', () => {
    expect(hashApiKey('sluice-demo-key')).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey('a')).not.toBe(hashApiKey('b'));
  });

  it('generates distinct long keys', () => {
    const a = generateApiKey();
    expect(a.length).toBeGreaterThan(30);
    expect(generateApiKey()).not.toBe(a);
  });

  it('reads the key from Authorization Bearer/Token or X-API-Key', () => {
    expect(extractApiKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(extractApiKey({ authorization: 'bearer abc' })).toBe('abc');
    expect(extractApiKey({ authorization: 'Token abc' })).toBe('abc');
    expect(extractApiKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(extractApiKey({ authorization: 'Basic dTpw', 'x-api-key': 'xyz' })).toBe('xyz');
    expect(extractApiKey({ authorization: 'Bearer' })).toBeUndefined();
    expect(extractApiKey({ 'x-api-key': ' ' })).toBeUndefined();
    expect(extractApiKey({})).toBeUndefined();
  });

  it('lets admin do everything and restricts device-scoped keys', () => {
    expect(hasScope(principal(), 'write')).toBe(true);
    expect(hasScope(principal(), 'read')).toBe(false);
    expect(hasScope(principal({ scopes: ['admin'] }), 'read')).toBe(true);
    expect(mayAccessDevice(principal(), 'any')).toBe(true);
    expect(mayAccessDevice(principal({ deviceIds: ['d1'] }), 'd1')).toBe(true);
    expect(mayAccessDevice(principal({ deviceIds: ['d1'] }), 'd2')).toBe(false);
  });
});
