import type pg from 'pg';
import { wholeMtimeMs } from '../../files/file-stamp.js';
import { normalizeCwd } from '../../listing/filters.js';
import { fold } from '../../fold.js';
import type { LocatedDoc } from '../../search/session-matcher.js';
import type { UsageResponse } from '../../sources/common/usage-response.js';
import type { ContentPosition, IndexEntry, WriteOp } from '../store.js';
import { addDocsOf } from './search.js';
import { pgText } from './sql.js';
import type { PgUsage } from './usage.js';

/** What a write knows of a row it touches: locked at its start, then kept as its operations change it. */
interface Known {
  /** Undefined while the row is a new one not written yet (its number comes from the upsert). */
  fid: number | undefined;
  id: string;
  isSession: boolean;
  /** The content offset, undefined while the row has no content state. */
  offset: number | undefined;
}

interface Checkpoint {
  content: ContentPosition;
  doneAtSize: number | undefined;
  fingerprint: string | null;
}

/**
 * One write transaction's operations (PgStore.write) in a few statements for all of them rather
 * than ten for each file: the rows named are locked and read in one statement; documents,
 * responses, rule 1 and the checkpoints of every file go in one statement each when the write
 * ends (or before an operation that drops what a file holds); rule 6 is decided once per shared
 * response at the end (PgUsage.reownMany: it depends only on the rows then, so once after all the
 * changes is what once after each gives). The answers are those of one statement per step (the
 * store contract suite runs on it).
 */
export class OpsWriter {
  private readonly rows = new Map<string, Known | undefined>();
  /** What reads of files found, upserted in one statement before anything that needs their numbers or rows. */
  private entries = new Map<string, { entry: IndexEntry; row: Known }>();
  private docs: { row: Known; docs: readonly LocatedDoc[] }[] = [];
  private responses: { row: Known; responses: readonly UsageResponse[] }[] = [];
  private rule1 = new Set<Known>();
  private checkpoints = new Map<string, Checkpoint>();
  /** Shared responses whose owner is decided again at the end; sessions that came or went (their threads' responses too). */
  private readonly keys = new Set<string>();
  private readonly threads = new Set<string>();

  constructor(
    private readonly client: pg.ClientBase,
    private readonly home: string,
    private readonly usage: PgUsage,
  ) {}

  async apply(ops: readonly WriteOp[]): Promise<boolean> {
    await this.lock(ops.flatMap((op) => (op.kind === 'entry' ? [op.entry.file.relPath] : 'relPath' in op ? [op.relPath] : [])));
    let changed = false;
    for (const op of ops) changed = (await this.one(op)) || changed;
    await this.finish();
    return changed;
  }

  /** Writes what is pending and decides rule 6 for what changed (the end of a write, or before a move). */
  async finish(): Promise<void> {
    await this.flush();
    if (this.threads.size > 0) {
      const { rows } = await this.client.query<{ key: string }>({
        name: 'cs-index-usage-threads',
        text: 'SELECT DISTINCT key FROM cs_index_usage WHERE home = $1 AND thread_id = ANY($2::text[]) AND key IS NOT NULL',
        values: [this.home, [...this.threads]],
      });
      for (const { key } of rows) this.keys.add(key);
      this.threads.clear();
    }
    await this.usage.reownMany(this.client, [...this.keys]);
    this.keys.clear();
  }

  /** Locks the rows at these paths (in path order: two writers never wait for each other in a circle) and reads them. */
  async lock(paths: readonly string[]): Promise<void> {
    const wanted = [...new Set(paths)].filter((p) => !this.rows.has(p)).sort();
    if (wanted.length === 0) return;
    type Locked = { p: string; fid: number; id: string; isSession: boolean; offset: number; state: boolean };
    const { rows } = await this.client.query<Locked>({
      name: 'cs-index-rows-lock',
      text:
        'SELECT rel_path AS p, fid::float8 AS fid, id, is_session AS "isSession", content_offset::float8 AS "offset", ' +
        'content_state IS NOT NULL AS state FROM cs_index_files WHERE home = $1 AND rel_path = ANY($2::text[]) ' +
        'ORDER BY rel_path FOR UPDATE',
      values: [this.home, wanted],
    });
    for (const p of wanted) this.rows.set(p, undefined);
    for (const r of rows) this.rows.set(r.p, { fid: r.fid, id: r.id, isSession: r.isSession, offset: r.state ? r.offset : undefined });
  }

  private async one(op: WriteOp): Promise<boolean> {
    switch (op.kind) {
      case 'entry': {
        const before = this.rows.get(op.entry.file.relPath);
        const reset = op.resetContent;
        // What the row held goes before it is read again (a new row's number is new: nothing to drop).
        if (reset !== null && before !== undefined) await this.dropContent(await this.fidOf(before));
        const { file, session } = op.entry;
        if (before === undefined || before.isSession !== (session !== null)) this.threads.add(file.id);
        const offset = reset !== null ? reset.offset : before?.offset;
        // The same object: what refers to it (pending documents, responses) gets its number when it is written.
        const row = before ?? { fid: undefined, id: file.id, isSession: false, offset };
        Object.assign(row, { id: file.id, isSession: session !== null, offset });
        this.rows.set(file.relPath, row);
        this.entries.set(file.relPath, { entry: op.entry, row });
        if (reset !== null) this.checkpoint(file.relPath, { content: reset, doneAtSize: -1, fingerprint: null });
        return true;
      }
      case 'grew': {
        const { stamp } = op;
        if (this.entries.has(op.relPath)) await this.upsertPending();
        const { rowCount } = await this.client.query({
          name: 'cs-index-grew',
          text: 'UPDATE cs_index_files SET size = $1, mtime_exact = $2, ctime_exact = $3, mtime_ms = $4 WHERE home = $5 AND rel_path = $6',
          values: [stamp.size, stamp.mtimeMs, stamp.ctimeMs, wholeMtimeMs(stamp.mtimeMs), this.home, op.relPath],
        });
        return (rowCount ?? 0) > 0;
      }
      case 'content': {
        const row = this.rows.get(op.relPath);
        if (row === undefined || row.offset !== op.from) return false; // another writer (or a reset) moved it: see IndexStore.write
        if (op.docs.length > 0) this.docs.push({ row, docs: op.docs });
        if (op.responses.length > 0) this.responses.push({ row, responses: op.responses });
        if (op.hasRecords) this.rule1.add(row);
        row.offset = op.at.offset;
        this.checkpoint(op.relPath, { content: op.at, doneAtSize: op.doneAtSize, fingerprint: op.fingerprint });
        return true;
      }
      case 'delete': {
        const row = this.rows.get(op.relPath);
        if (row === undefined) return false;
        const fid = await this.fidOf(row);
        await this.dropContent(fid);
        // The documents go with the row (ON DELETE CASCADE).
        await this.client.query({ name: 'cs-index-delete', text: 'DELETE FROM cs_index_files WHERE fid = $1', values: [fid] });
        this.rows.set(op.relPath, undefined);
        this.checkpoints.delete(op.relPath);
        this.threads.add(row.id);
        return true;
      }
      case 'complete': {
        const { rowCount } = await this.client.query('UPDATE cs_index_homes SET complete = true WHERE home = $1', [this.home]);
        return (rowCount ?? 0) > 0;
      }
    }
  }

  /**
   * Drops a file's documents and responses (after writing what is pending: some may be its own);
   * its shared responses find their owner again.
   */
  private async dropContent(fid: number): Promise<void> {
    await this.flush();
    await this.client.query({ name: 'cs-index-docs-drop', text: 'DELETE FROM cs_index_docs WHERE fid = $1', values: [fid] });
    for (const key of await this.usage.dropFile(this.client, fid)) this.keys.add(key);
  }

  /** A later checkpoint of a file replaces an earlier one, keeping its "done at" size unless it sets one. */
  private checkpoint(relPath: string, next: Checkpoint): void {
    const before = this.checkpoints.get(relPath);
    this.checkpoints.set(relPath, { ...next, doneAtSize: next.doneAtSize ?? before?.doneAtSize });
  }

  /** A row's number: a new row is written first (with every other pending one). */
  private async fidOf(row: Known): Promise<number> {
    if (row.fid === undefined) await this.upsertPending();
    return row.fid!;
  }

  /** Writes the rows, documents, responses, rule 1 and checkpoints gathered so far, one statement each. */
  private async flush(): Promise<void> {
    await this.upsertPending();
    const [docs, responses, rule1, checkpoints] = [this.docs, this.responses, this.rule1, this.checkpoints];
    [this.docs, this.responses, this.rule1, this.checkpoints] = [[], [], new Set(), new Map()];
    await addDocsOf(this.client, docs.map(({ row, docs }) => ({ fid: row.fid!, docs })));
    const byFid = responses.map(({ row, responses }) => ({ fid: row.fid!, responses }));
    for (const key of await this.usage.addMany(this.client, byFid, [...rule1].map((row) => row.fid!))) this.keys.add(key);
    if (checkpoints.size === 0) return;
    const at = [...checkpoints];
    await this.client.query({
      name: 'cs-index-checkpoints',
      text:
        'UPDATE cs_index_files f SET content_offset = c.o, content_line = c.l, content_state = c.s, ' +
        'content_size = coalesce(c.d, f.content_size), fingerprint = c.fp ' +
        'FROM unnest($2::text[], $3::float8[], $4::int[], $5::text[], $6::float8[], $7::text[]) AS c(p, o, l, s, d, fp) ' +
        'WHERE f.home = $1 AND f.rel_path = c.p',
      values: [
        this.home,
        at.map(([p]) => p),
        at.map(([, c]) => c.content.offset),
        at.map(([, c]) => c.content.lineNo),
        at.map(([, c]) => JSON.stringify(c.content.state)),
        at.map(([, c]) => c.doneAtSize ?? null),
        at.map(([, c]) => c.fingerprint),
      ],
    });
  }

  /**
   * Records what the reads of files found, all pending rows in one statement (a row keeps its
   * number when it exists; a new one gets it here). Rows in path order, as they are locked.
   */
  private async upsertPending(): Promise<void> {
    if (this.entries.size === 0) return;
    const pending = [...this.entries.values()].sort((a, b) => (a.entry.file.relPath < b.entry.file.relPath ? -1 : 1));
    this.entries = new Map();
    const col = <T>(f: (e: IndexEntry) => T): T[] => pending.map(({ entry }) => f(entry));
    const summary = (e: IndexEntry) => e.session?.summary;
    const { rows } = await this.client.query<{ p: string; fid: number }>({
      name: 'cs-index-upsert-many',
      text: `
        INSERT INTO cs_index_files (home, rel_path, key, id, archived, dev, ino, size, mtime_exact, ctime_exact, mtime_ms,
                                    is_session, has_user_message, created_ms, title, title_folded, cwd_norm, source, model_provider)
        SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[], $6::float8[], $7::float8[], $8::bigint[],
                                 $9::float8[], $10::float8[], $11::bigint[], $12::boolean[], $13::boolean[], $14::bigint[],
                                 $15::text[], $16::text[], $17::text[], $18::text[], $19::text[])
        ON CONFLICT (home, rel_path) DO UPDATE SET
          key = excluded.key, id = excluded.id, archived = excluded.archived, dev = excluded.dev, ino = excluded.ino,
          size = excluded.size, mtime_exact = excluded.mtime_exact, ctime_exact = excluded.ctime_exact, mtime_ms = excluded.mtime_ms,
          is_session = excluded.is_session, has_user_message = excluded.has_user_message, created_ms = excluded.created_ms,
          title = excluded.title, title_folded = excluded.title_folded, cwd_norm = excluded.cwd_norm, source = excluded.source,
          model_provider = excluded.model_provider
        RETURNING rel_path AS p, fid::float8 AS fid`,
      values: [
        this.home,
        col((e) => e.file.relPath),
        col((e) => e.file.key),
        col((e) => e.file.id),
        col((e) => e.file.archived),
        col((e) => e.stamp.dev),
        col((e) => e.stamp.ino),
        col((e) => e.stamp.size),
        col((e) => e.stamp.mtimeMs),
        col((e) => e.stamp.ctimeMs),
        col((e) => wholeMtimeMs(e.stamp.mtimeMs)),
        col((e) => e.session !== null),
        col((e) => e.session?.hasUserMessage === true),
        col((e) => (e.session ? Date.parse(e.session.summary.createdAt) : null)),
        col((e) => pgText(summary(e)?.title ?? null)),
        col((e) => { const t = summary(e)?.title; return pgText(t != null ? fold(t) : null); }),
        col((e) => { const cwd = summary(e)?.cwd; return pgText(cwd != null ? normalizeCwd(cwd) : null); }),
        col((e) => pgText(summary(e)?.source ?? null)),
        col((e) => pgText(summary(e)?.modelProvider ?? null)),
      ],
    });
    const fids = new Map(rows.map((r) => [r.p, r.fid]));
    for (const { entry, row } of pending) row.fid = fids.get(entry.file.relPath)!;
  }
}
