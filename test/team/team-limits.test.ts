// --rate-limit and --cors-origin on a team server: reads are limited per client, pushes are not.
import { expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { describePg } from './pg.js';
import { startTeam } from './team-helper.js';

describePg('team mode: rate limit and CORS', () => {
  it('limits reads (429 RATE_LIMITED, Retry-After), never pushes nor the liveness probe; CORS for the allowed origin', async () => {
    const team = await startTeam();
    const origin = 'https://dash.example';
    const config = { ...defaultConfig(''), port: 0, logLevel: 'silent' as const, databaseUrl: team.url };
    const app = await buildApp({ ...config, rateLimit: 3, corsOrigins: [origin] });
    try {
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      const read = await team.token('read');
      const push = await team.token('push', 'gina');
      const get = (path: string, token: string, headers: Record<string, string> = {}) =>
        fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
      for (let i = 0; i < 5; i++) expect((await get('/push/whoami', push)).status).toBe(200);
      const first = await get('/conversations', read, { origin });
      expect([first.status, first.headers.get('access-control-allow-origin')]).toEqual([200, origin]);
      expect((await get('/conversations', read, { origin: 'https://evil.example' })).headers.get('access-control-allow-origin')).toBeNull();
      expect((await get('/usage', read)).status).toBe(200);
      const limited = await get('/search?q=x', read);
      const body = (await limited.json()) as { code: string };
      expect([limited.status, body.code, Number(limited.headers.get('retry-after')) > 0]).toEqual([429, 'RATE_LIMITED', true]);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await get('/push/whoami', push)).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
