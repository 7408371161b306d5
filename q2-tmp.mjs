import Database from 'better-sqlite3';
const db = new Database(process.argv[2]);
const fold = (s) => s.toLowerCase();
db.function('contains_folded', { deterministic: true }, (h, n) => (typeof h === 'string' && fold(h).includes(fold(String(n))) ? 1 : 0));
const home = db.prepare('SELECT home FROM sessions LIMIT 1').pluck().get();
let t = performance.now();
db.exec('CREATE INDEX IF NOT EXISTS sessions_title ON sessions (home, key, is_session, has_user_message, archived, title)');
console.log('create', (performance.now() - t).toFixed(0));
const base = (ix) => `SELECT s.home, s.rel_path, s.key FROM sessions s ${ix} WHERE s.home = ? AND s.is_session = 1 AND s.has_user_message = 1 AND s.archived = 0 AND (contains_folded(s.title, ?) OR s.id IN (SELECT value FROM json_each(?))) ORDER BY s.key DESC LIMIT 26`;
for (const ix of ['', 'INDEXED BY sessions_title']) {
  console.log(db.prepare('EXPLAIN QUERY PLAN ' + base(ix)).all(home, 'linter', '[]').map(r => r.detail).join(' / '));
  for (let i = 0; i < 3; i++) { const t = performance.now(); const c0 = process.cpuUsage(); const r = db.prepare(base(ix)).all(home, 'linter', '[]'); const c = process.cpuUsage(c0); console.log(ix, r.length, (performance.now() - t).toFixed(1), 'ms', ((c.user + c.system) / 1000).toFixed(0), 'cpu ms'); }
}
