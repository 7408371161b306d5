// MCP on a team server (docs/mcp.md, "Team mode"): the SDK's own client over real HTTP against
// /mcp of a server on a real PostgreSQL, with homes pushed by the real agent. Tools answer what
// the team's REST routes answer, take `machine`, and name the machines of an ambiguous id; a
// usage token gets the usage report only; a push token none. Also /readyz of a team server.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, expect, it } from 'vitest';
import { sharedByTests } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { pushedTeam, teamGet } from './team-read-helper.js';

/** The generated home's second session, pushed by bob and by carol: its id is on two machines. */
const B = v7At('2025-03-02T10:00:00Z', 2);
const REAL_ID = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';

const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()?.close();
});

async function mcpClient(base: string, token: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  const requestInit = { headers: { authorization: `Bearer ${token}` } };
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit }));
  clients.push(client);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

/** A raw POST /mcp (what the SDK's client sends first), for the statuses it does not show. */
async function rawPost(base: string, headers: Record<string, string>) {
  const res = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: initialize,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describePg('team mode: MCP', () => {
  // Every test here only reads: one pushed team for all (each push is a CLI run, each team a database).
  const shared = sharedByTests(pushedTeam, 120_000);

  it('serves the tools over every machine, with machine filters and choices, as the REST routes answer', async () => {
    const { team, read } = shared();
    const rest = async (path: string) => (await teamGet(team, path, read)).json() as Record<string, unknown>;
    const client = await mcpClient(team.base, read);
    const { tools } = await client.listTools();
    const names = ['list_sessions', 'read_session', 'search_session', 'search_sessions', 'session_usage', 'usage_report'];
    expect(tools.map((t) => t.name).sort()).toEqual(names);
    for (const t of tools) expect(Object.keys(t.inputSchema.properties ?? {})).toContain('machine');

    const list = await call(client, 'list_sessions', { limit: 50, archived: 'all' });
    expect(list.structuredContent).toMatchObject({ items: (await rest('/conversations?limit=50&head=0&archived=all')).items });
    const machines = new Set((list.structuredContent?.items as { machine: string }[]).map((i) => i.machine));
    expect(machines).toEqual(new Set(['alice', 'bob', 'carol']));
    expect(textOf(list)).toContain(`${B} · on carol`);
    const onBob = await call(client, 'list_sessions', { limit: 50, machine: ['bob'] });
    expect(onBob.structuredContent).toMatchObject({ items: (await rest('/conversations?limit=50&head=0&machine=bob')).items });
    expect((onBob.structuredContent?.items as { machine: string }[]).every((i) => i.machine === 'bob')).toBe(true);

    const search = await call(client, 'search_sessions', { q: 'hello', limit: 5, machine: ['alice', 'bob'] });
    expect(search.structuredContent).toEqual(await rest('/search?q=hello&limit=5&matches=3&machine=alice&machine=bob'));
    const byMachine = await call(client, 'usage_report', { groupBy: 'machine' });
    expect(byMachine.structuredContent).toEqual(await rest('/usage?groupBy=machine&limit=100'));
    expect((byMachine.structuredContent?.rows as { key: string }[]).map((r) => r.key).sort()).toEqual(['alice', 'bob', 'carol']);
    const aliceDays = await call(client, 'usage_report', { groupBy: 'day', machine: ['alice'] });
    expect(aliceDays.structuredContent).toEqual(await rest('/usage?groupBy=day&limit=100&machine=alice'));

    // An id on two machines: a tool error naming them (the REST 409's code and members); `machine` chooses.
    for (const [name, args] of [
      ['read_session', { id: B }],
      ['session_usage', { id: B }],
      ['search_session', { id: B, q: 'x' }],
    ] as const) {
      const ambiguous = await call(client, name, args);
      expect(ambiguous.isError).toBe(true);
      expect(ambiguous.structuredContent).toMatchObject({ code: 'AMBIGUOUS_ID', machines: ['bob', 'carol'] });
      expect(textOf(ambiguous)).toMatch(/^AMBIGUOUS_ID: session .* is on 2 machines: bob, carol/);
    }
    const rest409 = await teamGet(team, `/conversations/${B}`, read);
    expect([rest409.status, rest409.json().code, rest409.json().machines]).toEqual([409, 'AMBIGUOUS_ID', ['bob', 'carol']]);

    const onCarol = await call(client, 'read_session', { id: B, machine: 'carol' });
    expect(onCarol.isError).toBeFalsy();
    expect(onCarol.structuredContent).toMatchObject({ id: B, machine: 'carol', nextCursor: null });
    const exported = (await teamGet(team, `/conversations/${B}/export?machine=carol`, read)).body.toString('utf8');
    expect(textOf(onCarol)).toContain(exported.slice(0, exported.indexOf('\n---\n\n*Exported by')));
    const usage = await call(client, 'session_usage', { id: B, machine: 'bob' });
    expect(usage.structuredContent).toEqual(await rest(`/conversations/${B}/usage?machine=bob`));
    const inOne = await call(client, 'search_session', { id: REAL_ID, q: 'hello', scope: 'all' });
    expect(inOne.structuredContent).toEqual(await rest(`/conversations/${REAL_ID}/search?q=hello&scope=all`));
    const elsewhere = await call(client, 'session_usage', { id: REAL_ID, machine: 'bob' });
    expect(elsewhere.structuredContent).toMatchObject({ code: 'NOT_FOUND' });
    const badName = await call(client, 'list_sessions', { machine: ['../etc'] });
    expect([badName.isError, textOf(badName)]).toEqual([true, expect.stringContaining('INVALID_QUERY: machine must be a machine name')]);

    // Resources: the newest sessions of every machine; one read by its URI.
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(3);
    const resource = await client.readResource({ uri: `codex-sessions://session/${REAL_ID}` });
    expect(resource.contents[0]).toMatchObject({ mimeType: 'text/markdown', text: expect.stringContaining(REAL_ID) });
  });

  it('gives a usage token the usage report only, never by session; a push token and no token nothing', async () => {
    const { team, read, usage, push } = shared();
    const client = await mcpClient(team.base, usage);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['usage_report']);
    const report = await call(client, 'usage_report', { groupBy: 'machine' });
    expect(report.structuredContent).toEqual((await teamGet(team, '/usage?groupBy=machine&limit=100', read)).json());
    const bySession = await call(client, 'usage_report', { groupBy: 'session' });
    expect([bySession.isError, bySession.structuredContent?.code]).toEqual([true, 'WRONG_ROLE']);
    // No ids, titles or text: no session tool, no resource.
    const refused = (err: Error) => ({ isError: true, content: [{ type: 'text', text: err.message }] });
    const listed = await call(client, 'list_sessions', {}).catch(refused);
    expect([listed.isError, JSON.stringify(listed)]).toEqual([true, expect.stringContaining('list_sessions')]);
    expect(JSON.stringify(listed)).not.toContain(REAL_ID);
    await expect(client.listResources()).rejects.toThrow();
    await expect(client.readResource({ uri: `codex-sessions://session/${REAL_ID}` })).rejects.toThrow();

    const pushed = await rawPost(team.base, { authorization: `Bearer ${push}` });
    expect([pushed.status, pushed.body.code]).toEqual([403, 'WRONG_ROLE']);
    const anonymous = await rawPost(team.base, {});
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'UNAUTHORIZED']);
    const revokedLike = await rawPost(team.base, { authorization: 'Bearer cst_not-a-token' });
    expect([revokedLike.status, revokedLike.body.code]).toEqual([401, 'UNAUTHORIZED']);
    // The Origin rule of /mcp holds in team mode too.
    const foreign = await rawPost(team.base, { authorization: `Bearer ${read}`, origin: 'https://evil.example' });
    expect([foreign.status, foreign.body.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('serves the same over stdio with --database-url (codex-sessions mcp, the built CLI)', async () => {
    const { team, read } = shared();
    const rest = async (path: string) => (await teamGet(team, path, read)).json() as Record<string, unknown>;
    const client = new Client({ name: 'test', version: '1.0.0' });
    const cli = resolve(import.meta.dirname, '../../dist/cli.js');
    const args = [cli, 'mcp', '--database-url', team.url, '--log-level', 'silent'];
    await client.connect(new StdioClientTransport({ command: process.execPath, args, env: { PATH: process.env.PATH ?? '' } }));
    clients.push(client);
    expect((await client.listTools()).tools).toHaveLength(6);
    const list = await call(client, 'list_sessions', { limit: 50, archived: 'all', machine: ['bob', 'carol'] });
    const expected = await rest('/conversations?limit=50&head=0&archived=all&machine=bob&machine=carol');
    expect(list.structuredContent).toMatchObject({ items: expected.items });
    const ambiguous = await call(client, 'session_usage', { id: B });
    expect(ambiguous.structuredContent).toMatchObject({ code: 'AMBIGUOUS_ID', machines: ['bob', 'carol'] });
    const usage = await call(client, 'session_usage', { id: B, machine: 'carol' });
    expect(usage.structuredContent).toEqual(await rest(`/conversations/${B}/usage?machine=carol`));
  });

  it('answers /readyz with team mode and its machines, to read and usage tokens', async () => {
    const { team, read, usage, push } = shared();
    const ready = await teamGet(team, '/readyz', read);
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({
      mode: 'team',
      status: 'ready',
      machines: ['alice', 'bob', 'carol'],
      sources: [{ agent: 'codex', served: true }],
      index: { state: 'ready', complete: true },
    });
    const listed = (await teamGet(team, '/conversations?limit=100&archived=all&includeEmpty=true', read)).json().items as unknown[];
    expect(ready.json().index.filesInIndex).toBeGreaterThanOrEqual(listed.length);
    expect((await teamGet(team, '/readyz', usage)).json()).toEqual(ready.json());
    const pushed = await teamGet(team, '/readyz', push);
    expect([pushed.status, pushed.json().code]).toEqual([403, 'WRONG_ROLE']);
    const anonymous = await teamGet(team, '/readyz', null);
    expect([anonymous.status, anonymous.json().code]).toEqual([401, 'UNAUTHORIZED']);
  });
});
