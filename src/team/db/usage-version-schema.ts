/**
 * Migration 7: a change counter of what GET /usage answers, so that an instance may answer from
 * its in-memory copy of the usage rollup (src/rollout/index/postgres/usage-mirror.ts) only while
 * the database holds what it copied. One row, bumped in the writing transaction (its new value is
 * seen exactly when the change is) by statement triggers: on cs_index_usage (the responses and
 * their counted flags; the rollup follows them) when a statement added, removed or changed one, and on
 * cs_index_files when a row came or went or a fact the usage filters and groups read changed (home,
 * id, key, archived, cwd, source, provider): a file grown or indexed further bumps it only through
 * its responses. The row is locked until commit, so the index's writers take turns on it: they
 * already do (one catch-up at a time, docs/team.md).
 */
const BUMP = 'UPDATE cs_index_version SET n = n + 1 WHERE id = 1;';
/** A statement's rows whose `columns` changed, old rows joined to new ones by `keys`. */
const changed = (keys: string[], columns: string[]) =>
  `EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON ${keys.map((k) => `o.${k} = n.${k}`).join(' AND ')}
            WHERE (${columns.map((c) => `n.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `o.${c}`).join(', ')}))`;
const USAGE_COLUMNS = ['counted', 'at_ms', 'model', 'input', 'cached', 'output', 'reasoning'];
const FILE_FACTS = ['home', 'id', 'key', 'archived', 'cwd_norm', 'source', 'model_provider'];

export const USAGE_VERSION_SCHEMA = `
  CREATE TABLE cs_index_version (id integer PRIMARY KEY CHECK (id = 1), n bigint NOT NULL);
  INSERT INTO cs_index_version VALUES (1, 0);
  -- Each branch is planned when first run: one table's columns are never planned for the other.
  CREATE FUNCTION cs_index_bump() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'DELETE' THEN
      IF EXISTS (SELECT 1 FROM old_rows) THEN ${BUMP} END IF;
    ELSIF TG_OP = 'INSERT' THEN
      IF EXISTS (SELECT 1 FROM new_rows) THEN ${BUMP} END IF;
    ELSIF TG_TABLE_NAME = 'cs_index_usage' THEN
      IF ${changed(['fid', 'line'], USAGE_COLUMNS)} THEN ${BUMP} END IF;
    ELSIF ${changed(['fid'], FILE_FACTS)} THEN
      ${BUMP}
    END IF;
    RETURN NULL;
  END $$;
  ${['cs_index_usage', 'cs_index_files']
    .map(
      (table) => `
  CREATE TRIGGER ${table}_bump_insert AFTER INSERT ON ${table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_index_bump();
  CREATE TRIGGER ${table}_bump_update AFTER UPDATE ON ${table}
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_index_bump();
  CREATE TRIGGER ${table}_bump_delete AFTER DELETE ON ${table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_index_bump();`,
    )
    .join('')}
`;
