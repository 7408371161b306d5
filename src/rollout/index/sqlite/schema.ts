/**
 * The sessions table: one row per rollout file (sessions and files that are not sessions), keyed
 * by its home and path, with what the list filters and sorts on, and how far its content
 * (search, usage) is indexed. A change here needs a new SCHEMA_VERSION (store.ts): the index is
 * then rebuilt.
 */
export const SESSIONS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS sessions (
    -- The Codex home on its machine (identity.ts homeId): one per file here, many in a shared store.
    home TEXT NOT NULL,
    rel_path TEXT NOT NULL,
    key TEXT NOT NULL,
    id TEXT NOT NULL,
    archived INTEGER NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_exact REAL NOT NULL,
    ctime_exact REAL NOT NULL,
    mtime_ms INTEGER NOT NULL,
    is_session INTEGER NOT NULL,
    has_user_message INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER,
    title TEXT,
    -- The title (and the transcript's own name) case-folded (fold.ts), what q is matched against.
    title_folded TEXT,
    cwd_norm TEXT,
    source TEXT,
    model_provider TEXT,
    -- The file's number: its search documents are numbered fid * 2^32 + line.
    fid INTEGER NOT NULL,
    -- How far the content (search, usage) is indexed: the next line's first byte and number,
    -- the consumers' state there, and the size of the file once it is indexed to its end.
    content_offset INTEGER NOT NULL DEFAULT 0,
    content_line INTEGER NOT NULL DEFAULT 1,
    content_state TEXT,
    content_size INTEGER NOT NULL DEFAULT -1,
    -- The fingerprint of the bytes before content_offset (identity.ts): an append keeps them.
    fingerprint TEXT,
    PRIMARY KEY (home, rel_path)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX IF NOT EXISTS sessions_fid ON sessions (fid);
  -- One covering index per sort order: a filtered page walks the index in order and
  -- never touches the table for the filter columns (only q needs the title).
  -- q too: the key walk tests the folded title (and the ids of matching names) with SQLite's own
  -- instr, covered. A q that no title has (every Claude title, q=linter) walks every key, and
  -- with a JS function on the table's rows that was 300 ms of CPU on 13,000 rows, against 8 ms.
  CREATE INDEX IF NOT EXISTS sessions_by_key ON sessions
    (home, key, is_session, has_user_message, archived, source, model_provider, cwd_norm, created_ms, id, title_folded);
  CREATE INDEX IF NOT EXISTS sessions_by_mtime ON sessions
    (home, mtime_ms, key, is_session, has_user_message, archived, source, model_provider, cwd_norm);
  CREATE INDEX IF NOT EXISTS sessions_id ON sessions (id);
  -- Selective filters (a cwd, a rare provider) jump straight to their rows;
  -- ANALYZE statistics let the planner choose between these and the ordered scans.
  CREATE INDEX IF NOT EXISTS sessions_cwd ON sessions (cwd_norm, key);
  -- A source filter seeks each of its values here and walks it in key order, covered
  -- (list-query.ts): a source that no session has costs a seek, not a walk of every key.
  CREATE INDEX IF NOT EXISTS sessions_source ON sessions
    (home, source, key, is_session, has_user_message, archived, model_provider, cwd_norm, created_ms);
  CREATE INDEX IF NOT EXISTS sessions_provider ON sessions (model_provider, key);

  -- GET /usage reads every session's usage rows: this covers what it needs of the session,
  -- so that the table (titles, paths) is never read (15x faster on 10,000 sessions).
  CREATE INDEX IF NOT EXISTS sessions_usage ON sessions (fid, archived, key, id, cwd_norm, source, model_provider);
`;
