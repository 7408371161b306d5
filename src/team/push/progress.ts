/** What one pass of the agent did. */
export interface PassResult {
  files: number;
  bytes: number;
  replaced: number;
  moved: number;
  deleted: number;
  /** Files whose offset the server disputed (another agent, a lost answer): looked at again next pass. */
  disputed: number;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * The agent's progress on stderr: files looked at, bytes sent, rate; redrawn in place on a
 * terminal, a line every few seconds otherwise, and a summary after each pass that did something.
 */
export class Progress {
  private total = 0;
  private done = 0;
  private bytes = 0;
  private started = 0;
  private lastDrawn = 0;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly quietWhenIdle: boolean,
  ) {}

  private get interactive(): boolean {
    return this.out.isTTY === true;
  }

  start(total: number): void {
    this.total = total;
    this.done = 0;
    this.bytes = 0;
    this.started = performance.now();
    this.lastDrawn = this.started;
  }

  private line(): string {
    const seconds = Math.max(0.001, (performance.now() - this.started) / 1000);
    return `push: ${this.done}/${this.total} files, ${megabytes(this.bytes)} sent, ${megabytes(this.bytes / seconds)}/s`;
  }

  private maybeDraw(): void {
    const now = performance.now();
    if (now - this.lastDrawn < (this.interactive ? 200 : 5000)) return;
    this.lastDrawn = now;
    this.out.write(this.interactive ? `\r${this.line()}\x1b[K` : `${this.line()}\n`);
  }

  fileDone(): void {
    this.done++;
    this.maybeDraw();
  }

  bytesSent(bytes: number): void {
    this.bytes += bytes;
    this.maybeDraw();
  }

  note(message: string): void {
    this.out.write(`${this.interactive ? '\r\x1b[K' : ''}push: ${message}\n`);
  }

  /** The sum of several passes of one `push --once` (the last pass's summary alone says only what was left to it). */
  allPasses(result: PassResult, passes: number): void {
    this.out.write(
      `push: in all ${result.files} files sent (${megabytes(result.bytes)}), ${result.replaced} replaced, ` +
        `${result.moved} moved, ${result.deleted} deleted, in ${passes} passes\n`,
    );
  }

  end(result: PassResult): void {
    const idle = result.files + result.moved + result.deleted === 0;
    if (this.interactive) this.out.write('\r\x1b[K');
    if (idle && this.quietWhenIdle) return;
    const seconds = (performance.now() - this.started) / 1000;
    this.out.write(
      `push: ${result.files} files sent (${megabytes(result.bytes)} in ${seconds.toFixed(1)} s, ` +
        `${megabytes(result.bytes / Math.max(seconds, 0.001))}/s), ` +
        `${result.replaced} replaced, ${result.moved} moved, ${result.deleted} deleted; ${this.total} looked at\n`,
    );
  }
}
