/**
 * The index file belongs to another Codex home (its meta row says so). It is left alone: two
 * homes sharing one file would drop each other's table and answer with the other's rows.
 */
export class ForeignIndexError extends Error {
  constructor() {
    super('the index file belongs to another Codex home; give this one its own --index-path');
    this.name = 'ForeignIndexError';
  }
}

/**
 * What an error of an index call says about the file: `corrupt` (damaged, not a database any
 * more: overwritten, truncated), `schema` (its tables are gone: another process rebuilt or
 * dropped them), or null (an error of the call itself).
 */
export function indexLoss(err: unknown): 'corrupt' | 'schema' | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_IOERR')) return 'corrupt';
  if (code === 'SQLITE_ERROR' && /no such (table|column|index)/.test(String((err as Error).message))) return 'schema';
  return null;
}
