/**
 * Takes items from a source strictly in order while the work for the next few of them already
 * runs: before each item is handed out, the tasks of the next `window` items that need one are
 * started (each at most once). The one read-ahead of the listing: a page reads up to this many
 * files at once, and decides about them one by one, in order.
 */
export class ReadAhead<T, R> {
  private readonly queue: { item: T; task?: Promise<R> }[] = [];
  private readonly source: AsyncIterator<T> | Iterator<T>;
  private sourceDone = false;
  /** Items in the queue that need a task. */
  private queuedWork = 0;

  constructor(
    items: AsyncIterable<T> | Iterable<T>,
    private readonly needsTask: (item: T) => boolean,
  ) {
    this.source = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  }

  /**
   * The next item and its task (undefined when it needs none), after starting `start` for the
   * first `window` items from here on that need a task. Undefined when the source is done.
   */
  async next(window: number, start: (item: T) => Promise<R>): Promise<{ item: T; task: Promise<R> | undefined } | undefined> {
    while ((this.queuedWork < window || this.queue.length === 0) && (await this.pull()));
    let started = 0;
    for (const entry of this.queue) {
      if (started >= window) break;
      if (!this.needsTask(entry.item)) continue;
      started += 1;
      if (entry.task === undefined) {
        entry.task = start(entry.item);
        entry.task.catch(() => {}); // a task whose item is never taken must not be an unhandled rejection
      }
    }
    const entry = this.queue.shift();
    if (entry === undefined) return undefined;
    if (this.needsTask(entry.item)) this.queuedWork -= 1;
    return { item: entry.item, task: entry.task };
  }

  private async pull(): Promise<boolean> {
    if (this.sourceDone) return false;
    const next = await this.source.next();
    if (next.done === true) {
      this.sourceDone = true;
      return false;
    }
    this.queue.push({ item: next.value });
    if (this.needsTask(next.value)) this.queuedWork += 1;
    return true;
  }

  /** Stops the source (a tree walk holds no resources, but a generator should be finished). */
  async close(): Promise<void> {
    await this.source.return?.();
  }
}
