import { watch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { isAbsentError, pathKind } from '../files/fs-safety.js';
import { codex, type AnySource } from '../sources/registry.js';
import type { SessionWalker } from '../sources/source.js';
import type { RolloutFile, RolloutLogger } from '../types.js';

const DEBOUNCE_MS = 50;

/** What changed in the tree since the last report. */
export interface TreeChanges {
  /** Rollout files that changed and exist now. */
  files: RolloutFile[];
  /**
   * The relative paths of those of `files` whose directory entry appeared (created, renamed or
   * moved in, or found in a new directory) rather than only being written to.
   */
  appeared: Set<string>;
  /** Relative paths of rollout files that are gone. */
  gone: string[];
  /** `session_index.jsonl` (the user-set names) changed. */
  namesChanged: boolean;
}

/** How a raw file-system event is reported: `rename` for an entry that appeared or vanished, `change` for a write. */
export type RawEventKind = 'rename' | 'change';

/**
 * One non-recursive watch per directory of the tree (the home, sessions/, each year, month and
 * day, archived_sessions/), set up in the background. Node 20's recursive fs.watch on Linux
 * stats and watches every file before returning: seconds and hundreds of MB on a
 * 100,000-session tree. A directory watch also reports appends to the files in it. Events are
 * gathered for DEBOUNCE_MS and reported together; a new directory is watched, and its files
 * reported, as soon as it appears. `onEvent` hears every raw event at once, undebounced.
 */
export class TreeWatcher {
  private readonly watched = new Map<string, FSWatcher>();
  private readonly dirty = new Set<string>();
  private readonly renamed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private stopping = false;
  private started = false;
  private broken = false;

  constructor(
    private readonly walker: SessionWalker,
    private readonly onChange: (changes: TreeChanges) => Promise<void>,
    private readonly log: RolloutLogger,
    private readonly onEvent: (relPath: string, kind: RawEventKind) => void = () => {},
    private readonly source: AnySource = codex,
  ) {}

  /** Watches the whole tree; resolves once every existing directory is watched. */
  async start(): Promise<void> {
    this.watchDir('');
    if (!this.watched.has('')) this.fail('the Codex home cannot be watched');
    for (const root of this.source.watch.roots) await this.adopt(root, false);
    this.started = true;
  }

  /**
   * True once every directory of the tree is watched and no watch has failed since: then every
   * change of a rollout file or of the names file is reported. (Not on file systems that do
   * not report changes, such as network mounts, and not for writes through a symbolic link
   * to a file elsewhere.)
   */
  get complete(): boolean {
    return this.started && !this.broken && !this.stopping;
  }

  /** Resolves when the changes reported so far have been handed over. */
  settled(): Promise<void> {
    return this.flushing;
  }

  private fail(why: string, err?: unknown): void {
    if (!this.broken) this.log.warn({ err }, `${why}; live changes may be missed until the periodic pass`);
    this.broken = true;
  }

  private watchDir(relDir: string): void {
    if (this.stopping || this.watched.has(relDir)) return;
    try {
      const watcher = watch(relDir === '' ? this.walker.home : this.walker.absPath(relDir), { persistent: false });
      watcher.on('change', (event, name) => {
        if (typeof name === 'string') this.markDirty(relDir === '' ? name : `${relDir}/${name}`, event === 'rename' ? 'rename' : 'change');
      });
      watcher.on('error', (err) => {
        watcher.close();
        this.watched.delete(relDir);
        this.fail(`the watch of ${relDir || 'the Codex home'} failed`, err);
      });
      this.watched.set(relDir, watcher);
    } catch (err) {
      // Not there (any more): its parent's watch and the periodic pass cover it.
      if (!isAbsentError(err)) this.fail(`cannot watch ${relDir || 'the Codex home'}`, err);
    }
  }

  /** Stops watching a directory that is gone, and everything below it, so that a new one of that name is watched again. */
  private unwatch(relDir: string): void {
    for (const [dir, watcher] of this.watched) {
      if (dir === relDir || dir.startsWith(`${relDir}/`)) {
        watcher.close();
        this.watched.delete(dir);
      }
    }
  }

  /**
   * Starts watching a directory of the tree and everything below it. With `collect`, returns
   * the rollout files of its day directories (a new directory's files may predate its watch).
   */
  private async adopt(relDir: string, collect = true, listed = false): Promise<RolloutFile[]> {
    const { realHome } = await this.walker.roots();
    // A directory of its parent's listing (numericDirs) is one the walk goes into: asking again per child was quadratic.
    if ((await pathKind(this.walker.absPath(relDir), realHome)) !== 'directory' || (!listed && !(await this.walked(relDir)))) {
      this.unwatch(relDir);
      return [];
    }
    this.watchDir(relDir);
    const plan = this.source.watch;
    const holds = plan.holdsSessions(relDir);
    const files: RolloutFile[] = holds && collect ? await this.walker.filesIn(relDir, 'desc') : [];
    if (holds && !plan.nested) return files;
    for (const child of await this.walker.numericDirs(relDir, 'desc')) {
      files.push(...(await this.adopt(`${relDir}/${child}`, collect, true)));
    }
    return files;
  }

  /** A linked directory is watched only when the walk goes into it: not an alias of another directory of the tree. */
  private async walked(relDir: string): Promise<boolean> {
    const cut = relDir.lastIndexOf('/');
    const linked = cut >= 0 && (await lstat(this.walker.absPath(relDir)).then((st) => st.isSymbolicLink(), () => false));
    if (!linked) return true;
    if (this.walker.walksInto !== undefined) return this.walker.walksInto(relDir);
    return (await this.walker.numericDirs(relDir.slice(0, cut), 'desc')).includes(relDir.slice(cut + 1));
  }

  private markDirty(relPath: string, kind: RawEventKind): void {
    this.dirty.add(relPath);
    if (kind === 'rename') this.renamed.add(relPath);
    this.onEvent(relPath, kind);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, DEBOUNCE_MS);
  }

  private async flush(): Promise<void> {
    const paths = [...this.dirty];
    const renamed = new Set(this.renamed);
    this.dirty.clear();
    this.renamed.clear();
    const changes: TreeChanges = { files: [], appeared: new Set(), gone: [], namesChanged: false };
    const files = new Map<string, RolloutFile>();
    try {
      const { realHome } = await this.walker.roots();
      for (const rel of paths) {
        const file = this.walker.fileAt(rel);
        if (file !== null) {
          if ((await pathKind(file.absPath, realHome)) !== 'file') changes.gone.push(rel);
          else {
            files.set(rel, file);
            if (renamed.has(rel)) changes.appeared.add(rel);
          }
        } else if (this.source.watch.isTreeDir(rel)) {
          for (const found of await this.adopt(rel)) {
            files.set(found.relPath, found);
            changes.appeared.add(found.relPath);
          }
        } else if (rel === this.source.watch.namesFile) {
          changes.namesChanged = true;
        }
      }
      changes.files = [...files.values()];
      if (!this.stopping) await this.onChange(changes);
    } catch (err) {
      this.log.warn({ err }, 'taking in a change of the tree failed; the periodic pass covers it');
    }
  }

  async close(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watched.values()) w.close();
    this.watched.clear();
    await this.flushing.catch(() => {});
  }
}

/** The tree's one watcher as its users see it: the index and the live feed each listen to its reports. */
export interface TreeWatch {
  /** Starts watching (once, however often it is called); resolves when every directory is watched. */
  start(): Promise<void>;
  /** Hears every report, in order, after the listeners registered before it; returns the unsubscribe function. */
  listen(listener: (changes: TreeChanges) => Promise<void> | void): () => void;
  /** Resolves when the reports made so far have been handed to every listener. */
  settled(): Promise<void>;
}
