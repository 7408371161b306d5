import { watch, type FSWatcher } from 'node:fs';
import { pathKind } from '../files/fs-safety.js';
import { ARCHIVED_DIR, SESSIONS_DIR, isTreeDir, type TreeWalker } from '../files/tree-walk.js';
import type { RolloutFile, RolloutLogger } from '../types.js';

const DEBOUNCE_MS = 50;

/** What changed in the tree since the last report: rollout files to look at, and paths that are gone. */
export interface TreeChanges {
  files: RolloutFile[];
  gone: string[];
}

/**
 * One non-recursive watch per directory of the tree (the home, sessions/, each year, month and
 * day, archived_sessions/), set up in the background. Node 20's recursive fs.watch on Linux
 * stats and watches every file before returning: seconds and hundreds of MB on a
 * 100,000-session tree. A directory watch also reports appends to the files in it. Events are
 * gathered for DEBOUNCE_MS and reported together; a new directory is watched, and its files
 * reported, as soon as it appears.
 */
export class TreeWatcher {
  private readonly watched = new Map<string, FSWatcher>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly walker: TreeWalker,
    private readonly onChange: (changes: TreeChanges) => Promise<void>,
    private readonly log: RolloutLogger,
  ) {}

  /** Watches the whole tree; resolves once every existing directory is watched. */
  async start(): Promise<void> {
    this.watchDir('');
    await this.adopt(ARCHIVED_DIR, false);
    await this.adopt(SESSIONS_DIR, false);
  }

  /** Resolves when the changes reported so far have been handed over. */
  settled(): Promise<void> {
    return this.flushing;
  }

  private watchDir(relDir: string): void {
    if (this.stopping || this.watched.has(relDir)) return;
    try {
      const watcher = watch(relDir === '' ? this.walker.codexHome : this.walker.absPath(relDir), { persistent: false });
      watcher.on('change', (_event, name) => {
        if (typeof name === 'string') this.markDirty(relDir === '' ? name : `${relDir}/${name}`);
      });
      watcher.on('error', () => {
        watcher.close();
        this.watched.delete(relDir);
      });
      this.watched.set(relDir, watcher);
    } catch {
      // Not there (yet): its parent's watch and the periodic pass cover it.
    }
  }

  /**
   * Starts watching a directory of the tree and everything below it. With `collect`, returns
   * the rollout files of its day directories (a new directory's files may predate its watch).
   */
  private async adopt(relDir: string, collect = true): Promise<RolloutFile[]> {
    const { realHome } = await this.walker.roots();
    if ((await pathKind(this.walker.absPath(relDir), realHome)) !== 'directory') return [];
    this.watchDir(relDir);
    if (relDir === ARCHIVED_DIR || relDir.split('/').length === 4) return collect ? this.walker.filesIn(relDir, 'desc') : [];
    const files: RolloutFile[] = [];
    for (const child of await this.walker.numericDirs(relDir, 'desc')) files.push(...(await this.adopt(`${relDir}/${child}`, collect)));
    return files;
  }

  private markDirty(relPath: string): void {
    this.dirty.add(relPath);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flushing = this.flushing.then(() => this.flush());
    }, DEBOUNCE_MS);
  }

  private async flush(): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    const changes: TreeChanges = { files: [], gone: [] };
    try {
      const { realHome } = await this.walker.roots();
      for (const rel of paths) {
        const file = this.walker.fileAt(rel);
        if (file !== null) {
          if ((await pathKind(file.absPath, realHome)) === 'file') changes.files.push(file);
          else changes.gone.push(rel);
        } else if (isTreeDir(rel)) {
          changes.files.push(...(await this.adopt(rel)));
        }
      }
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
