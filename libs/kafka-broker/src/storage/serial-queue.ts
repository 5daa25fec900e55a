/** Runs tasks one at a time in submission order; a failed task does not stop later ones. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when every task submitted so far has settled. */
  drain(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
