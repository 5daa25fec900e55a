/**
 * Which clients want which device's readings. Keys are `tenant/device`, so a subscription can only
 * ever match its own tenant's records: tenant isolation is structural, not a check to forget.
 */
export class SubscriptionRegistry<Client> {
  private readonly byDevice = new Map<string, Set<Client>>();
  private readonly byClient = new Map<Client, Set<string>>();

  subscribe(client: Client, tenant: string, devices: readonly string[]): void {
    let keys = this.byClient.get(client);
    if (keys === undefined) {
      keys = new Set();
      this.byClient.set(client, keys);
    }
    for (const device of devices) {
      const key = `${tenant}/${device}`;
      keys.add(key);
      let clients = this.byDevice.get(key);
      if (clients === undefined) {
        clients = new Set();
        this.byDevice.set(key, clients);
      }
      clients.add(client);
    }
  }

  unsubscribe(client: Client, tenant: string, devices: readonly string[]): void {
    const keys = this.byClient.get(client);
    if (keys === undefined) return;
    for (const device of devices) {
      const key = `${tenant}/${device}`;
      keys.delete(key);
      this.detach(client, key);
    }
  }

  /** Forgets every subscription of a disconnected client. */
  remove(client: Client): void {
    const keys = this.byClient.get(client);
    if (keys === undefined) return;
    for (const key of keys) this.detach(client, key);
    this.byClient.delete(client);
  }

  /** Subscribers of the record key `tenant/device` (empty when nobody listens). */
  subscribersOf(recordKey: string): ReadonlySet<Client> {
    return this.byDevice.get(recordKey) ?? EMPTY;
  }

  /** Devices (without tenant) the client is subscribed to. */
  devicesOf(client: Client): string[] {
    return [...(this.byClient.get(client) ?? [])]
      .map((key) => key.slice(key.indexOf('/') + 1))
      .sort();
  }

  /** Whether any client is subscribed to any device. */
  hasSubscriptions(): boolean {
    return this.byDevice.size > 0;
  }

  countOf(client: Client): number {
    return this.byClient.get(client)?.size ?? 0;
  }

  private detach(client: Client, key: string): void {
    const clients = this.byDevice.get(key);
    if (clients === undefined) return;
    clients.delete(client);
    if (clients.size === 0) this.byDevice.delete(key);
  }
}

const EMPTY: ReadonlySet<never> = new Set();
