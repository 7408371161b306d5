import { posix } from 'node:path';
import { codex, type AnySource } from '../sources/registry.js';
import type { TreeChanges } from './tree-watcher.js';
import { matchesFilter, type SessionFilter } from '../listing/filters.js';
import type { ArchivedFilter, RolloutFile, RolloutLogger, SessionSummary } from '../types.js';
import { EventLog, type ChangeKind, type EventLogOptions, type FeedEvent } from './event-log.js';

/** What the feed needs of the repository. */
export interface ChangeFeedDeps {
  /** The file's summary with its user-set name, or null when it is not (yet) a session or cannot be read. */
  summarize(file: RolloutFile): Promise<SessionSummary | null>;
  /** The summary last read of a file that may be gone: undefined when never read, null when it was not a session. */
  lastSummary(file: RolloutFile): SessionSummary | null | undefined;
  /** The user-set names as they are now. */
  names(): Promise<ReadonlyMap<string, string>>;
  /** The files that claim a session id. */
  filesOf(id: string): Promise<RolloutFile[]>;
  fileAt(relPath: string): RolloutFile | null;
  log: RolloutLogger;
  /** The source whose files these are (default Codex): its archive rules and path summaries. */
  source?: AnySource;
}

/** Which changes a subscriber wants: the list's cwd, source and provider filters, and its archived view. */
export interface FeedSubscription {
  filter: SessionFilter;
  archived: ArchivedFilter;
  /** The agents wanted (absent: all). */
  agent?: readonly ('codex' | 'claude')[] | undefined;
}

/** Files that appeared before they were sessions (an empty file being written): their first summary is `created`. */
const MAX_PENDING = 10_000;
/** More renames than this in one change of the names file are announced as one `reset`. */
const MAX_RENAMES = 100;

const inView = (archived: ArchivedFilter, isArchived: boolean) => archived === 'all' || (archived === 'true') === isArchived;

/**
 * True when the subscriber wants the event: it passes the filters and concerns its view. A
 * session that leaves the view (archived while the subscriber sees active sessions, or the
 * reverse) still reaches it, so that it can drop the session. `reset` reaches everyone.
 */
export function wants(sub: FeedSubscription, event: FeedEvent): boolean {
  if (event.change === 'reset') return true;
  const s = event.session;
  if (sub.agent !== undefined && sub.agent.length > 0 && !sub.agent.includes(s.agent ?? 'codex')) return false;
  const concerns =
    inView(sub.archived, s.archived) ||
    (event.change === 'archived' && inView(sub.archived, false)) ||
    (event.change === 'unarchived' && inView(sub.archived, true));
  return concerns && matchesFilter(s, sub.filter, 0);
}

/**
 * Turns the tree watcher's reports into session changes in the event log. It needs no memory
 * of the whole tree: the kernel says whether a directory entry appeared or was only written
 * to, so that
 * - a file whose entry appeared is `created`, or `archived`/`unarchived` when a file of the same
 *   name vanished from the other root in the same report (Codex archives by renaming);
 * - a file that was written to is `updated`;
 * - a file that is gone is `removed`, with the summary last read of it (the listing cache's),
 *   or, when the service never read it, what its name says;
 * - a changed names file is `renamed` for each session whose user-set name changed.
 * Files that are not (yet) sessions make no event; one that appeared empty and becomes a
 * session later is `created` then.
 */
export class ChangeFeed {
  readonly log: EventLog;
  private readonly pending = new Set<string>();
  private names: ReadonlyMap<string, string> | null = null;

  constructor(
    private readonly deps: ChangeFeedDeps,
    logOptions?: EventLogOptions,
  ) {
    this.log = new EventLog(logOptions);
  }

  /** Takes the names as they are, so that the next change of the names file can be compared with them. */
  async prime(): Promise<void> {
    this.names ??= await this.deps.names().catch(() => new Map());
  }

  async take(changes: TreeChanges): Promise<void> {
    const goneByName = new Map(changes.gone.map((rel) => [posix.basename(rel), rel]));
    for (const file of changes.files) {
      const appeared = changes.appeared.has(file.relPath);
      const name = posix.basename(file.relPath);
      const from = appeared ? goneByName.get(name) : undefined;
      const moved = from !== undefined && (this.deps.source ?? codex).isArchivedPath(from) !== file.archived;
      if (moved) goneByName.delete(name);
      const summary = await this.deps.summarize(file);
      if (summary === null) {
        if (appeared) this.remember(file.relPath);
        continue;
      }
      const wasPending = this.pending.delete(file.relPath);
      let change: ChangeKind = appeared || wasPending ? 'created' : 'updated';
      if (moved) change = file.archived ? 'archived' : 'unarchived';
      this.log.append(change, summary);
    }
    for (const rel of goneByName.values()) {
      this.pending.delete(rel);
      const file = this.deps.fileAt(rel);
      const last = file && this.deps.lastSummary(file);
      if (file === null || last === null) continue; // it was never a session
      const names = await this.deps.names().catch(() => new Map<string, string>());
      const summary = last ?? (this.deps.source ?? codex).summaryOfPath(file);
      this.log.append('removed', { ...summary, name: names.get(file.id) || null });
    }
    if (changes.namesChanged) await this.takeNames();
  }

  private remember(relPath: string): void {
    this.pending.delete(relPath);
    this.pending.add(relPath);
    if (this.pending.size > MAX_PENDING) this.pending.delete(this.pending.values().next().value as string);
  }

  private async takeNames(): Promise<void> {
    const before = this.names;
    let after: ReadonlyMap<string, string>;
    try {
      after = await this.deps.names();
    } catch (err) {
      this.deps.log.warn({ err }, 'cannot read the session names; live renames are not reported');
      return;
    }
    this.names = after;
    if (before === null || before === after) return;
    const renamed = new Set<string>();
    for (const [id, name] of after) if (before.get(id) !== name) renamed.add(id);
    for (const id of before.keys()) if (!after.has(id)) renamed.add(id);
    if (renamed.size > MAX_RENAMES) {
      this.log.append('reset');
      return;
    }
    for (const id of renamed) {
      const files = await this.deps.filesOf(id).catch(() => []);
      for (const file of files) {
        const summary = await this.deps.summarize(file);
        if (summary !== null) this.log.append('renamed', summary);
      }
    }
  }
}
