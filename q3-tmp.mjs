import Database from 'better-sqlite3';
const db = new Database(process.argv[2]);
const home = db.prepare('SELECT home FROM sessions LIMIT 1').pluck().get();
const fold = (s) => s.toLowerCase().replaceAll('ς', 'σ');
db.function('contains_folded', { deterministic: true }, (h, n) => (typeof h === 'string' && fold(h).includes(fold(String(n))) ? 1 : 0));
db.function('fold', { deterministic: true }, (h) => (typeof h === 'string' ? fold(h) : null));
try { db.exec('ALTER TABLE sessions ADD COLUMN title_folded TEXT'); db.exec('UPDATE sessions SET title_folded = fold(title)'); } catch {}
db.exec('DROP INDEX IF EXISTS sessions_title; CREATE INDEX IF NOT EXISTS sessions_q ON sessions (home, key, is_session, has_user_message, archived, id, title_folded)');
const old = `SELECT s.home, s.rel_path, s.key FROM sessions s WHERE s.home = ? AND s.is_session = 1 AND s.has_user_message = 1 AND s.archived = 0 AND (contains_folded(s.title, ?) OR s.id IN (SELECT value FROM json_each(?))) ORDER BY s.key DESC LIMIT 26`;
const neu = `SELECT s.home, s.rel_path, s.key FROM sessions s INDEXED BY sessions_q WHERE s.home = ? AND s.is_session = 1 AND s.has_user_message = 1 AND s.archived = 0 AND (instr(s.title_folded, ?) > 0 OR s.id IN (SELECT value FROM json_each(?))) ORDER BY s.key DESC LIMIT 26`;
for (let round = 0; round < 3; round++) for (const [name, sql] of [['old', old], ['new', neu]]) {
  const c0 = process.cpuUsage(); const t = performance.now(); const r = db.prepare(sql).all(home, 'linter', '[]'); const c = process.cpuUsage(c0);
  console.log(name, r.length, (performance.now() - t).toFixed(1), 'ms', ((c.user + c.system) / 1000).toFixed(1), 'cpu ms');
}
console.log(db.prepare('EXPLAIN QUERY PLAN ' + neu).all(home, 'linter', '[]').map(r => r.detail).join(' / '));
