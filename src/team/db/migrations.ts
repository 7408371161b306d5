import type pg from 'pg';
import { INDEX_SCHEMA } from './index-schema.js';
import { USAGE_ROLLUP_SCHEMA } from './usage-rollup-schema.js';
import { USAGE_VERSION_SCHEMA } from './usage-version-schema.js';

/**
 * The team schema, one entry per version, applied in order and never edited once released: a
 * change is a new entry. Every table is prefixed `cs_` so that the database may be shared.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'tokens and pushed files',
    sql: `
      CREATE TABLE cs_tokens (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        hash bytea NOT NULL UNIQUE,
        prefix text NOT NULL,
        role text NOT NULL CHECK (role IN ('read', 'usage', 'push')),
        machine text,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CHECK ((role = 'push') = (machine IS NOT NULL))
      );
      CREATE SEQUENCE cs_change_seq;
      CREATE TABLE cs_files (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        machine text NOT NULL,
        path text COLLATE "C" NOT NULL,
        size bigint NOT NULL DEFAULT 0,
        head bytea NOT NULL DEFAULT '',
        tail bytea NOT NULL DEFAULT '',
        head_fp text NOT NULL DEFAULT '',
        tail_fp text NOT NULL DEFAULT '',
        mtime_ms bigint,
        generation integer NOT NULL DEFAULT 1,
        change_seq bigint NOT NULL DEFAULT nextval('cs_change_seq'),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (machine, path)
      );
      CREATE INDEX cs_files_change_seq ON cs_files (change_seq);
      CREATE TABLE cs_chunks (
        file_id bigint NOT NULL REFERENCES cs_files (id) ON DELETE CASCADE,
        "offset" bigint NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (file_id, "offset")
      );
      ALTER TABLE cs_chunks ALTER COLUMN data SET COMPRESSION lz4;
    `,
  },
  { version: 2, name: 'metadata index of every home', sql: INDEX_SCHEMA },
  {
    version: 3,
    name: 'change notifications',
    // Every committed change of a pushed file reaches every instance's LISTEN (src/team/read/team-feed.ts).
    sql: `
      CREATE FUNCTION cs_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          PERFORM pg_notify('cs_changes', json_build_object('op', 'delete', 'machine', OLD.machine, 'path', OLD.path,
            'seq', nextval('cs_change_seq'))::text);
          RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.change_seq IS NOT DISTINCT FROM OLD.change_seq THEN
          RETURN NEW;
        END IF;
        PERFORM pg_notify('cs_changes', json_build_object('op', lower(TG_OP), 'machine', NEW.machine, 'path', NEW.path,
          'moved', TG_OP = 'UPDATE' AND OLD.path <> NEW.path, 'wasEmpty', TG_OP = 'INSERT' OR OLD.size = 0,
          'seq', NEW.change_seq)::text);
        RETURN NEW;
      END $$;
      CREATE TRIGGER cs_files_notify AFTER INSERT OR UPDATE OR DELETE ON cs_files
        FOR EACH ROW EXECUTE FUNCTION cs_notify_change();
    `,
  },
  { version: 4, name: 'usage rollup', sql: USAGE_ROLLUP_SCHEMA },
  {
    version: 5,
    name: 'removals kept for replay',
    // A deletion leaves no row in cs_files: the newest 10,000 are kept here, so that /events can
    // replay them after a Last-Event-ID (src/team/read/team-replay.ts); older ones mean `reset`.
    sql: `
      CREATE TABLE cs_removed (
        seq bigint PRIMARY KEY,
        machine text NOT NULL,
        path text COLLATE "C" NOT NULL,
        removed_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE OR REPLACE FUNCTION cs_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        removed bigint;
      BEGIN
        IF TG_OP = 'DELETE' THEN
          removed := nextval('cs_change_seq');
          INSERT INTO cs_removed (seq, machine, path) VALUES (removed, OLD.machine, OLD.path);
          DELETE FROM cs_removed WHERE seq < (SELECT r.seq FROM cs_removed r ORDER BY r.seq DESC OFFSET 9999 LIMIT 1);
          PERFORM pg_notify('cs_changes', json_build_object('op', 'delete', 'machine', OLD.machine, 'path', OLD.path,
            'seq', removed)::text);
          RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.change_seq IS NOT DISTINCT FROM OLD.change_seq THEN
          RETURN NEW;
        END IF;
        PERFORM pg_notify('cs_changes', json_build_object('op', lower(TG_OP), 'machine', NEW.machine, 'path', NEW.path,
          'moved', TG_OP = 'UPDATE' AND OLD.path <> NEW.path, 'wasEmpty', TG_OP = 'INSERT' OR OLD.size = 0,
          'seq', NEW.change_seq)::text);
        RETURN NEW;
      END $$;
    `,
  },
  {
    version: 6,
    name: 'index of active keys',
    // Listing both roots hides an archived copy of an active file name (NOT_SHADOWED in
    // src/rollout/index/postgres/sql.ts): a lookup by key among the active rows of a home, which
    // no index served (the key index is of sessions only), so /usage over every root read a
    // home's rows once per archived session (10,000 sessions: 836 -> 88 ms at load ~15).
    sql: 'CREATE INDEX IF NOT EXISTS cs_index_files_active_key ON cs_index_files (home, key) WHERE NOT archived;',
  },
  { version: 7, name: 'usage change counter', sql: USAGE_VERSION_SCHEMA },
];

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Any instance of codex-sessions takes this lock to migrate: one at a time, whichever starts first. */
const MIGRATION_LOCK = 0x63735f6d; // "cs_m"

/** The database's schema is newer than this program: it must not write (or read) it. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
}

export interface MigrationResult {
  from: number;
  to: number;
}

/**
 * Brings the schema to SCHEMA_VERSION under a session advisory lock, each migration in its own
 * transaction; instances starting together wait for each other, and the later ones find nothing
 * to do. A database migrated by a newer release is refused, not touched.
 */
export async function migrate(pool: pg.Pool): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS cs_schema (
        version integer PRIMARY KEY,
        name text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM cs_schema');
      const from = rows[0]?.v ?? 0;
      if (from > SCHEMA_VERSION) {
        throw new SchemaTooNewError(
          `the database schema is version ${from}, newer than this codex-sessions understands (${SCHEMA_VERSION}); ` +
            'upgrade codex-sessions on this machine (a newer instance migrated the database)',
        );
      }
      for (const migration of MIGRATIONS) {
        if (migration.version <= from) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO cs_schema (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
      return { from, to: Math.max(from, SCHEMA_VERSION) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}
