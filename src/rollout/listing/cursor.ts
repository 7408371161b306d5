import { codex } from '../sources/registry.js';
import { RolloutError, RolloutErrorKind } from '../errors.js';
import { MTIME_MAX_MS, MTIME_MIN_MS } from '../files/file-stamp.js';
import type { SortField, SortOrder } from '../types.js';

/**
 * Keyset cursors: they carry the source's ordering key, which the source alone reads back
 * (`parseKey`). For the default `sort=created&order=desc` a cursor is exactly
 * `<YYYY-MM-DDThh-mm-ss>|<uuid>` (the key of the last item served); ascending cursors carry
 * an `asc|` prefix so that a cursor minted for one order is rejected by the other.
 */
const ASC_PREFIX = 'asc|';

export function encodeCursor(key: string, order: SortOrder): string {
  return order === 'asc' ? ASC_PREFIX + key : key;
}

/** Returns the file key the cursor names; throws `InvalidCursor` when it is malformed or of another order. */
export function decodeCursor(cursor: string, order: SortOrder): string {
  if (cursor.startsWith(UPDATED_PREFIX.desc) || cursor.startsWith(UPDATED_PREFIX.asc)) {
    throw new RolloutError(RolloutErrorKind.InvalidCursor, 'cursor was issued for sort=updated');
  }
  const isAsc = cursor.startsWith(ASC_PREFIX);
  if (isAsc !== (order === 'asc')) {
    throw new RolloutError(RolloutErrorKind.InvalidCursor, `cursor was not issued for order=${order}`);
  }
  const body = isAsc ? cursor.slice(ASC_PREFIX.length) : cursor;
  const key = codex.parseKey(body);
  if (key === null) throw new RolloutError(RolloutErrorKind.InvalidCursor, 'cursor must be <YYYY-MM-DDThh-mm-ss>|<uuid>');
  return key;
}

/**
 * `sort=updated` cursors name a position (mtime in whole ms, then file key):
 * `upd|<ms>|<stamp>|<uuid>` for desc, `upd-asc|<ms>|<stamp>|<uuid>` for asc.
 */
const UPDATED_PREFIX = { desc: 'upd|', asc: 'upd-asc|' } as const;

export function encodeUpdatedCursor(position: Position, order: SortOrder): string {
  return `${UPDATED_PREFIX[order]}${position.mtimeMs}|${position.key}`;
}

export function decodeUpdatedCursor(cursor: string, order: SortOrder): Position {
  const other = order === 'desc' ? 'asc' : 'desc';
  // 'upd|' is a prefix of neither form of the other order, but check the longer prefix first.
  if (cursor.startsWith(UPDATED_PREFIX[other]) && !cursor.startsWith(UPDATED_PREFIX[order])) {
    throw new RolloutError(RolloutErrorKind.InvalidCursor, `cursor was not issued for order=${order}`);
  }
  if (!cursor.startsWith(UPDATED_PREFIX[order])) {
    throw new RolloutError(RolloutErrorKind.InvalidCursor, 'cursor was not issued for sort=updated');
  }
  const rest = cursor.slice(UPDATED_PREFIX[order].length);
  const bar = rest.indexOf('|');
  const ms = rest.slice(0, bar);
  // Negative: an mtime before 1970 (ext4 keeps them back to 1901).
  if (bar === -1 || !/^-?\d{1,15}$/.test(ms) || Number(ms) < MTIME_MIN_MS || Number(ms) > MTIME_MAX_MS) {
    throw new RolloutError(RolloutErrorKind.InvalidCursor, 'cursor must be upd|<ms>|<YYYY-MM-DDThh-mm-ss>|<uuid>');
  }
  return { mtimeMs: Number(ms), key: decodeCursor(rest.slice(bar + 1), 'desc') };
}

/** A key that sorts before every file in `order`, for a look-ahead cursor when nothing has been served yet. */
export function startKey(order: SortOrder): string {
  return order === 'desc' ? codex.keyBounds.last : codex.keyBounds.first;
}

/** A position in a listing order: the file key, and for sort=updated the mtime in whole ms (0 otherwise). */
export interface Position {
  key: string;
  mtimeMs: number;
}

/** Compares two positions in ascending order of `sort`. */
export function positionCompare(a: Position, b: Position, sort: SortField): number {
  if (sort === 'updated' && a.mtimeMs !== b.mtimeMs) return a.mtimeMs < b.mtimeMs ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** A position before every file in `order`. */
export function startPosition(order: SortOrder): Position {
  return { key: startKey(order), mtimeMs: order === 'desc' ? MTIME_MAX_MS : MTIME_MIN_MS };
}

export function encodePosition(position: Position, sort: SortField, order: SortOrder): string {
  return sort === 'created' ? encodeCursor(position.key, order) : encodeUpdatedCursor(position, order);
}

/** The position a cursor names; throws `InvalidCursor` when it is malformed or of another sort or order. */
export function decodePosition(cursor: string, sort: SortField, order: SortOrder): Position {
  return sort === 'created' ? { key: decodeCursor(cursor, order), mtimeMs: 0 } : decodeUpdatedCursor(cursor, order);
}
