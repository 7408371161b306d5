import type { RolloutLogger } from './types.js';

/**
 * What the service is doing without, right now: an unreadable directory skipped by the walk, a
 * session_index.jsonl that cannot be used, an index being rebuilt. Each condition is logged once
 * (at warn) when it starts, and again when it clears; `/readyz` lists the current ones. Messages
 * name paths relative to the Codex home, never absolute server paths.
 */
export class Degradations {
  private readonly current = new Map<string, string>();

  constructor(private readonly log: RolloutLogger) {}

  /** Records (and logs, the first time) that `key` is degraded; `cause` goes to the log only. */
  note(key: string, message: string, cause?: unknown): void {
    if (this.current.get(key) === message) return;
    this.current.set(key, message);
    this.log.warn({ degraded: key, err: cause }, message);
  }

  clear(key: string): void {
    if (this.current.delete(key)) this.log.warn({ degraded: key }, 'recovered');
  }

  list(): string[] {
    return [...this.current.values()];
  }
}
