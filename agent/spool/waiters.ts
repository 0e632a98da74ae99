/** Callers parked until something happens (data to read); woken all at once with a value. */
export class Waiters<T> {
  private list: ((v: T) => void)[] = [];

  get size(): number {
    return this.list.length;
  }

  wait(): Promise<T> {
    return new Promise<T>((resolve) => this.list.push(resolve));
  }

  wake(v: T): void {
    if (this.list.length === 0) return;
    const l = this.list;
    this.list = [];
    for (const r of l) r(v);
  }
}
