/**
 * Runs work exclusively per key within this process: a program's stream evaluation and its timer
 * tick must not both load, evaluate and save its state at once (the second save would lose the
 * first's changes). Keys are acquired all at once, so two holders of overlapping sets cannot
 * deadlock.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: readonly string[], work: () => Promise<T>): Promise<T> {
    const previous = keys.map((key) => this.tails.get(key)).filter((tail) => tail !== undefined);
    const result = Promise.all(previous).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) this.tails.set(key, tail);
    void tail.then(() => {
      for (const key of keys) if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
