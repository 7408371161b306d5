import { NO_TIME, QUARTER_MS } from '../../rollout/index/quarter-hours.js';

/** The quarter hour (floor division: bigint `/` truncates towards zero, wrong before 1970) of `at_ms` of a response row. */
const FLOOR = `(at_ms - ((at_ms % ${QUARTER_MS}) + ${QUARTER_MS}) % ${QUARTER_MS}) / ${QUARTER_MS}`;
const QH = `CASE WHEN at_ms IS NULL THEN ${NO_TIME} ELSE (${FLOOR})::int END`;

/** Adds the signed sums of `rows` (fid, qh, model, sign and the counts) to the rollup, and drops the rows that fall to nothing. */
const APPLY = (rows: string) => `
    INSERT INTO cs_index_usage_rollup AS t (fid, qh, model, input, cached, output, reasoning, n)
      SELECT fid, qh, model, sum(sign * input), sum(sign * cached), sum(sign * output), sum(sign * reasoning), sum(sign)
        FROM (${rows}) d GROUP BY fid, qh, model
      -- An update that changed nothing counted (rule 6 setting the same owner again) writes nothing.
      HAVING sum(sign) <> 0 OR sum(sign * input) <> 0 OR sum(sign * cached) <> 0 OR sum(sign * output) <> 0
          OR sum(sign * reasoning) <> 0
      ON CONFLICT (fid, qh, model) DO UPDATE SET input = t.input + excluded.input, cached = t.cached + excluded.cached,
        output = t.output + excluded.output, reasoning = t.reasoning + excluded.reasoning, n = t.n + excluded.n;`;

const COUNTED = (table: string, sign: number) =>
  `SELECT fid, ${QH} AS qh, model, ${sign}::int8 AS sign, input, cached, output, reasoning FROM ${table} WHERE counted`;

/**
 * Migration 4: the usage rollup of the PostgreSQL index, as SQLite's (src/rollout/index/sqlite/usage.ts):
 * the counted responses summed per file, quarter hour (UTC) and model. Every zone's offsets
 * today are whole quarter hours, so days, weeks and months in any of them are sums of these
 * rows (a few per session, against one per response), and `/usage?groupBy=day` reads them
 * instead of every response. Kept by statement triggers on cs_index_usage (one upsert per
 * statement from its transition tables, whatever the number of rows it touched): the index's
 * writes need no change, and a cascade (a file's row deleted) is covered too. No foreign key to
 * cs_index_files: a file's rows go when its responses go (n falls to 0), in the same statement.
 * Filled from the responses already indexed.
 */
export const USAGE_ROLLUP_SCHEMA = `
  CREATE TABLE cs_index_usage_rollup (
    fid bigint NOT NULL,
    qh integer NOT NULL,
    model text COLLATE "C" NOT NULL,
    input bigint NOT NULL,
    cached bigint NOT NULL,
    output bigint NOT NULL,
    reasoning bigint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (fid, qh, model)
  );
  CREATE FUNCTION cs_usage_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      ${APPLY(COUNTED('new_rows', 1))}
      RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
      ${APPLY(COUNTED('old_rows', -1))}
      DELETE FROM cs_index_usage_rollup WHERE fid IN (SELECT fid FROM old_rows) AND n = 0;
      RETURN NULL;
    END IF;
    ${APPLY(`${COUNTED('new_rows', 1)} UNION ALL ${COUNTED('old_rows', -1)}`)}
    DELETE FROM cs_index_usage_rollup WHERE fid IN (SELECT fid FROM old_rows) AND n = 0;
    RETURN NULL;
  END $$;
  CREATE TRIGGER cs_index_usage_rollup_insert AFTER INSERT ON cs_index_usage
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_usage_rollup();
  CREATE TRIGGER cs_index_usage_rollup_update AFTER UPDATE ON cs_index_usage
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_usage_rollup();
  CREATE TRIGGER cs_index_usage_rollup_delete AFTER DELETE ON cs_index_usage
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cs_usage_rollup();
  INSERT INTO cs_index_usage_rollup (fid, qh, model, input, cached, output, reasoning, n)
    SELECT fid, ${QH}, model, sum(input), sum(cached), sum(output), sum(reasoning), count(*)
      FROM cs_index_usage WHERE counted GROUP BY 1, 2, 3;
  ANALYZE cs_index_usage_rollup;
`;
