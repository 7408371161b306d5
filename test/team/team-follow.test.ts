// GET /conversations/:id/events in team mode: one pushed session followed from another instance,
// appended to, resumed, replaced, archived and deleted through the push endpoints.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { buildTestApp, envelopeLines, tempHome, writeSession } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { pushOnce } from './pushed-index-helper.js';
import { openEvents, until, type Frame } from './sse-client.js';
import { teamGet } from './team-read-helper.js';
import { startTeam, type Team } from './team-helper.js';

const line = (text: string) =>
  `${JSON.stringify({ timestamp: '2025-05-01T10:00:01.000Z', type: 'event_msg', payload: { type: 'agent_message', message: text } })}\n`;

/** The byte offsets just past each line of `bytes`. */
function lineEnds(bytes: Buffer, from = 0): number[] {
  const ends: number[] = [];
  for (let at = bytes.indexOf(0x0a, from); at !== -1; at = bytes.indexOf(0x0a, at + 1)) ends.push(at + 1);
  return ends;
}

const records = (frames: Frame[]) => frames.filter((f) => f.event === 'record');

async function push(team: Team, token: string, machine: string, path: string, query: string, body: string): Promise<void> {
  const url = `${team.base}/push/${machine}/files/${path}?${query}`;
  const res = await fetch(url, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body,
  });
  expect(res.status, await res.text()).toBe(200);
}

describePg('team mode: following one session', () => {
  it('reaches a follower on another instance within a second of a push; resumes, replaces, moves, removals as over one home', async () => {
    const team = await startTeam();
    const other = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', databaseUrl: team.url });
    try {
      const otherBase = await other.listen({ host: '127.0.0.1', port: 0 });
      const read = await team.token('read');
      const erin = await team.token('push', 'erin');
      const home = await tempHome();
      const id = v7At('2025-05-01T10:00:00Z', 1);
      const rel = await writeSession(home, { stamp: '2025-05-01T10-00-00', id, title: 'followed' });
      await pushOnce(team, erin, home);
      await pushOnce(team, await team.token('push', 'frank'), home);
      const url = `/conversations/${id}/events`;
      await until(async () => (await teamGet(team, `/conversations?machine=erin&machine=frank`, read)).json().items.length === 2);

      // One id on two machines: 409 naming them, as every lookup; ?machine= chooses.
      const ambiguous = await teamGet(team, url, read);
      expect([ambiguous.status, ambiguous.json().code]).toEqual([409, 'AMBIGUOUS_ID']);
      expect(ambiguous.json().detail).toContain('frank');
      for (const [path, status, code] of [
        [`${url}?machine=nobody`, 404, 'NOT_FOUND'],
        [`${url}?machine=..`, 400, 'INVALID_QUERY'],
        [`${url}?machine=erin&from=5`, 400, 'INVALID_QUERY'],
      ] as const) {
        const res = await teamGet(team, path, read);
        expect([path, res.status, res.json().code]).toEqual([path, status, code]);
      }
      for (const role of ['usage', 'push'] as const) {
        const res = await teamGet(team, `${url}?machine=erin`, await team.token(role, role === 'push' ? 'erin' : undefined));
        expect([role, res.status, res.json().code]).toEqual([role, 403, 'WRONG_ROLE']);
      }

      const bytes = await readFile(join(home, rel));
      const whole = await openEvents(otherBase, `${url}?machine=erin&from=start`, read);
      const tail = await openEvents(otherBase, `${url}?machine=erin`, read);
      await whole.next((f) => f.id === String(bytes.length));
      expect(whole.frames[0]).toMatchObject({ id: '0' });
      expect(records(whole.frames).map((f) => Number(f.id))).toEqual(lineEnds(bytes));
      expect(records(whole.frames).map((f) => `${f.data}\n`).join('')).toBe(bytes.toString('utf8'));
      // from=end (the default): after the last complete line.
      expect((await tail.next((f) => f.id !== undefined)).id).toBe(String(bytes.length));

      // An append pushed to the first instance reaches the second's followers within a second; a half line waits for its newline.
      const appended = line('appended');
      await push(team, erin, 'erin', rel, `offset=${bytes.length}`, `${appended}{"type":"event_msg",`);
      const pushed = Date.now();
      const size = bytes.length + appended.length;
      const got = await whole.next((f) => f.event === 'record' && f.id === String(size));
      expect(got.at!).toBeLessThan(pushed + 1000);
      expect(JSON.parse(got.data!)).toMatchObject({ payload: { message: 'appended' } });
      const rest = '"payload":{"type":"agent_message","message":"completed"}}\n';
      const total = size + '{"type":"event_msg",'.length + rest.length;
      await push(team, erin, 'erin', rel, `offset=${size + '{"type":"event_msg",'.length}`, rest);
      for (const s of [whole, tail]) {
        await s.next((f) => f.id === String(total));
        expect(records(s.frames).filter((f) => Number(f.id) > bytes.length).map((f) => Number(f.id))).toEqual([size, total]);
        expect(JSON.parse(records(s.frames).at(-1)!.data!)).toMatchObject({ payload: { message: 'completed' } });
      }

      // Last-Event-ID resumes exactly (over `from`); one past the end or mid-line is a reset from 0.
      const resumed = await openEvents(team.base, `${url}?machine=erin&from=start`, read, { 'last-event-id': String(size) });
      await resumed.next((f) => f.id === String(total));
      expect(resumed.frames.map((f) => f.id)).toEqual([String(size), String(total)]);
      const stale = await openEvents(team.base, `${url}?machine=erin`, read, { 'last-event-id': String(total + 10) });
      await stale.next((f) => f.id === String(total));
      expect(stale.frames.slice(0, 2).map((f) => [f.event, f.id, f.data])).toEqual([
        [undefined, '0', undefined],
        ['reset', '0', '{"reason":"truncated"}'],
      ]);
      expect(records(stale.frames)).toHaveLength(lineEnds(bytes).length + 2);
      await Promise.all([resumed.close(), stale.close(), tail.close()]);

      // A rewrite pushed whole (replace=true): reset, then the new file from offset 0.
      const newLines = envelopeLines({ stamp: '2025-05-01T10-00-00', id, title: 'rewritten' });
      const rewritten = `${newLines.map((l) => JSON.stringify(l)).join('\n')}\n`;
      await push(team, erin, 'erin', rel, 'offset=0&replace=true', rewritten);
      await whole.next((f) => f.event === 'reset');
      const reset = whole.frames.findIndex((f) => f.event === 'reset');
      await until(async () => whole.frames.slice(reset).some((f) => f.id === String(Buffer.byteLength(rewritten))));
      expect(whole.frames[reset]).toMatchObject({ id: '0', data: '{"reason":"replaced"}' });
      const after = records(whole.frames.slice(reset));
      expect(after.map((f) => Number(f.id))).toEqual(lineEnds(Buffer.from(rewritten)));
      expect(after.map((f) => `${f.data}\n`).join('')).toBe(rewritten);

      // An archive move ends the follow with `gone` and where it went; a deletion with `removed`.
      const archived = `archived_sessions/${rel.split('/').at(-1)}`;
      const moved = await fetch(`${team.base}/push/erin/moves`, {
        method: 'POST',
        headers: { authorization: `Bearer ${erin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: rel, to: archived }),
      });
      expect(moved.status).toBe(200);
      const gone = await whole.next((f) => f.event === 'gone');
      expect(JSON.parse(gone.data!)).toEqual({ reason: 'archived', path: archived });
      await whole.ended;
      await until(async () => (await teamGet(team, '/conversations?machine=erin&archived=true', read)).json().items.length === 1);
      const again = await openEvents(otherBase, `${url}?machine=erin&from=start`, read);
      await again.next((f) => f.id === String(Buffer.byteLength(rewritten)));
      const auth = { authorization: `Bearer ${erin}` };
      const removed = await fetch(`${team.base}/push/erin/files/${archived}`, { method: 'DELETE', headers: auth });
      expect(removed.status).toBe(204);
      expect(JSON.parse((await again.next((f) => f.event === 'gone')).data!)).toEqual({ reason: 'removed', path: null });
      await again.ended;
    } finally {
      await other.close();
    }
    const single = await buildTestApp(await tempHome());
    const refused = await single.inject(`/conversations/${v7At('2025-05-01T10:00:00Z', 1)}/events?machine=erin`);
    expect([refused.statusCode, refused.json().code]).toEqual([400, 'INVALID_QUERY']);
  });

  it('follows a session of several chunks from the start, record by record across chunk boundaries', async () => {
    const team = await startTeam();
    const read = await team.token('read');
    const home = await tempHome();
    const id = v7At('2025-05-02T10:00:00Z', 2);
    // Over 4 MiB: the agent sends it in two pieces, which the server keeps as two chunks (cut mid-line).
    const message = (i: number) => `${i} ${'x'.repeat(2000)}`;
    const filler = Array.from({ length: 2300 }, (_, i) => ({ type: 'event_msg', payload: { type: 'x', message: message(i) } }));
    const rel = await writeSession(home, { stamp: '2025-05-02T10-00-00', id, title: 'long', extra: filler });
    await pushOnce(team, await team.token('push', 'erin'), home);
    const { rows } = await team.db.query<{ n: number }>('SELECT count(*)::int AS n FROM cs_chunks');
    expect(rows[0]!.n).toBe(2);
    await until(async () => (await teamGet(team, `/conversations/${id}`, read)).status === 200);
    const bytes = await readFile(join(home, rel));
    const s = await openEvents(team.base, `/conversations/${id}/events?from=start`, read);
    await s.next((f) => f.id === String(bytes.length), 30_000);
    expect(records(s.frames).map((f) => Number(f.id))).toEqual(lineEnds(bytes));
    expect(records(s.frames).map((f) => `${f.data}\n`).join('') === bytes.toString('utf8')).toBe(true);
    await s.close();
  });
});
