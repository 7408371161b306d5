import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsentError } from '../files/fs-safety.js';
import { readRecord, splitLines } from './jsonl-lines.js';
import { scanFailed } from '../errors.js';
import { toUtcIso } from './summary.js';

export const SESSION_INDEX_FILE = 'session_index.jsonl';
const MAX_INDEX_LINE_BYTES = 64 * 1024;

/**
 * User-set session names from `session_index.jsonl` (`{id, thread_name, updated_at}` lines).
 * For an id named more than once, the entry with the latest `updated_at` wins (file order
 * breaks ties). Re-read only when the file's size or mtime changes.
 */
export class SessionNames {
  private names = new Map<string, string>();
  private version = '';

  constructor(private readonly codexHome: string) {}

  async load(): Promise<ReadonlyMap<string, string>> {
    const path = join(this.codexHome, SESSION_INDEX_FILE);
    let version: string;
    try {
      const st = await stat(path);
      version = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      if (!isAbsentError(err)) throw scanFailed('cannot stat the session index', err);
      this.names = new Map();
      this.version = '';
      return this.names;
    }
    if (version !== this.version) {
      this.names = await readNames(path);
      this.version = version;
    }
    return this.names;
  }
}

async function readNames(path: string): Promise<Map<string, string>> {
  const newest = new Map<string, { name: string; at: string }>();
  try {
    for await (const line of splitLines(createReadStream(path), MAX_INDEX_LINE_BYTES)) {
      const parsed = readRecord(line, MAX_INDEX_LINE_BYTES);
      if (!parsed?.ok) continue;
      const { id, thread_name: name, updated_at: updatedAt } = parsed.record;
      if (typeof id !== 'string' || typeof name !== 'string') continue;
      const at = toUtcIso(updatedAt) ?? '';
      const key = id.toLowerCase();
      const previous = newest.get(key);
      if (previous === undefined || at >= previous.at) newest.set(key, { name, at });
    }
  } catch (err) {
    if (isAbsentError(err)) return new Map();
    throw scanFailed('cannot read the session index', err);
  }
  return new Map([...newest].map(([id, { name }]) => [id, name]));
}
