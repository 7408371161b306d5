// MCP over a home of both agents (docs/mcp.md, "Both agents"): the `agent` filter of
// list_sessions, search_sessions and usage_report, and usage_report's groupBy=agent, each
// answered as the REST API answers the same question, over Streamable HTTP on copies of both
// real fixture homes.
import { cp } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { appFor, copyOfRealHome, sharedByTests, tempHome } from '../helper.js';
import { listen } from '../net.js';

const CLAUDE_REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/claude-home-real');

describe('MCP over both agents', () => {
  const clients: Client[] = [];
  const served = sharedByTests(async () => {
    const claudeHome = await tempHome();
    await cp(CLAUDE_REAL, claudeHome, { recursive: true });
    const app = await appFor(await copyOfRealHome(), false, { agents: ['codex', 'claude'], claudeHome });
    const base = `http://127.0.0.1:${await listen(app)}`;
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    clients.push(client);
    return { client, base };
  });
  // After hooks run last-registered first: the client goes before the app closes under it.
  afterAll(async () => {
    while (clients.length > 0) await clients.pop()?.close();
  });
  const rest = async (path: string) => (await fetch(`${served().base}${path}`)).json() as Promise<Record<string, unknown>>;
  const call = async (name: string, args: Record<string, unknown>) =>
    (await served().client.callTool({ name, arguments: args })) as CallToolResult;
  const agentsOf = (r: CallToolResult) => new Set((r.structuredContent?.items as { agent: string }[]).map((i) => i.agent));

  it('offers agent on the filtering tools and agent as a grouping', async () => {
    const { tools } = await served().client.listTools();
    const props = (name: string) => tools.find((t) => t.name === name)?.inputSchema.properties as Record<string, { enum?: string[] }>;
    for (const name of ['list_sessions', 'search_sessions', 'usage_report']) expect(props(name)).toHaveProperty('agent');
    expect(JSON.stringify(props('usage_report').groupBy)).toContain('"agent"');
  });

  it('filters list_sessions and search_sessions by agent, as the REST API does', async () => {
    for (const agent of ['claude', 'codex']) {
      const list = await call('list_sessions', { limit: 50, agent: [agent] });
      expect(list.isError).toBeFalsy();
      expect(agentsOf(list)).toEqual(new Set([agent]));
      const restList = await rest(`/conversations?limit=50&head=0&agent=${agent}`);
      expect(list.structuredContent).toMatchObject({ items: restList.items, nextCursor: restList.nextCursor });
    }
    const both = await call('list_sessions', { limit: 100 });
    expect(agentsOf(both)).toEqual(new Set(['claude', 'codex']));

    const search = await call('search_sessions', { q: 'the', limit: 20, agent: ['claude'] });
    expect(agentsOf(search)).toEqual(new Set(['claude']));
    expect(search.structuredContent).toEqual(await rest('/search?q=the&limit=20&agent=claude'));
  });

  it('groups usage_report by agent and filters it by agent, as GET /usage', async () => {
    const byAgent = await call('usage_report', { groupBy: 'agent' });
    expect(byAgent.isError).toBeFalsy();
    expect(byAgent.structuredContent).toEqual(await rest('/usage?groupBy=agent&limit=100'));
    expect((byAgent.structuredContent?.rows as { key: string }[]).map((r) => r.key).sort()).toEqual(['claude', 'codex']);
    // The text says Claude's cache writes (priced apart) where there are some, and not for Codex.
    const text = (byAgent.content as { text: string }[])[0]!.text;
    expect(text).toMatch(/- claude: [^\n]*, cache writes [\d,]+, output/);
    expect(text).toMatch(/- codex: [^\n]*cached [\d,]+, output/);
    const claudeOnly = await call('usage_report', { groupBy: 'model', agent: ['claude'] });
    expect(claudeOnly.structuredContent).toEqual(await rest('/usage?groupBy=model&agent=claude&limit=100'));
  });

  it('says in its instructions that it serves both agents', () => {
    expect(served().client.getInstructions()).toContain('Claude Code');
  });

  it('answers a bad agent with INVALID_QUERY', async () => {
    for (const [name, args] of [
      ['list_sessions', { agent: ['gemini'] }],
      ['usage_report', { groupBy: 'agents' }],
    ] as const) {
      const r = await call(name, args);
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toContain('INVALID_QUERY');
    }
  });
});
