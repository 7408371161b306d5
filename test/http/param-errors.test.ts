import { describe, expect, it } from 'vitest';
import { buildTestApp, tempHome, uuidN, writeSession } from '../helper.js';

// Issue 17, item 14: a 400 names the parameter, says what it takes (the allowed values where
// there is a set, the route's parameters for an unknown one) and what came. Before: ajv's words,
// e.g. "querystring must NOT have additional properties" for ?limt=5.
const ID = uuidN(1);
const LIST_PARAMS =
  'cursor, limit, head, tail, sort, order, archived, includeEmpty, cwd, source, agent, provider, machine, since, until, q, total';

const CASES: [string, 'INVALID_QUERY' | 'INVALID_ID', string][] = [
  ['/conversations?limt=5', 'INVALID_QUERY', `unknown query parameter "limt" (did you mean "limit"?); this route takes ${LIST_PARAMS}`],
  ['/conversations?sort=size', 'INVALID_QUERY', 'query parameter sort must be one of created, updated; got "size"'],
  ['/conversations?order=sideways', 'INVALID_QUERY', 'query parameter order must be one of desc, asc; got "sideways"'],
  ['/conversations?archived=maybe', 'INVALID_QUERY', 'query parameter archived must be one of false, true, all; got "maybe"'],
  [
    '/conversations?source=cli&source=bogus',
    'INVALID_QUERY',
    'query parameter source must be one of cli, vscode, exec, mcp, subagent, custom, unknown, interactive; got "bogus"',
  ],
  ['/conversations?includeEmpty=perhaps', 'INVALID_QUERY', 'query parameter includeEmpty must be true or false; got "perhaps"'],
  ['/conversations?limit=101', 'INVALID_QUERY', 'query parameter limit must be from 0 to 100; got 101'],
  ['/conversations?head=abc', 'INVALID_QUERY', 'query parameter head must be a decimal integer from 0 to 100; got "abc"'],
  ['/conversations?tail=1&tail=2', 'INVALID_QUERY', 'query parameter tail must be given once; got 2 values'],
  ['/conversations?sort=created&sort=updated', 'INVALID_QUERY', 'query parameter sort must be given once; got 2 values'],
  ['/conversations?q=', 'INVALID_QUERY', 'query parameter q must be 1 to 500 characters long; got ""'],
  ['/conversations?cwd=', 'INVALID_QUERY', 'query parameter cwd must be 1 to 4096 characters long; got ""'],
  [`/conversations?${'cwd=a&'.repeat(51)}`, 'INVALID_QUERY', 'query parameter cwd may be given at most 50 times; got 51 values'],
  ['/conversations?since=yesterday', 'INVALID_QUERY', 'since must be an ISO 8601 instant or date, got "yesterday"'],
  [
    `/conversations/${ID}?fromat=ndjson`,
    'INVALID_QUERY',
    'unknown query parameter "fromat" (did you mean "format"?); this route takes format, machine',
  ],
  [`/conversations/${ID}?format=xml`, 'INVALID_QUERY', 'query parameter format must be one of json, ndjson; got "xml"'],
  ['/conversations/not-a-uuid', 'INVALID_ID', 'path parameter id must be a UUID; got "not-a-uuid"'],
  [`/conversations/${ID}/usage?x=1`, 'INVALID_QUERY', 'unknown query parameter "x"; this route takes machine'],
  // Team mode's machine parameters, on a single machine (docs/team.md).
  ['/conversations?machine=alice', 'INVALID_QUERY', 'machine applies in team mode only (--database-url)'],
  ['/search?q=x&machine=alice', 'INVALID_QUERY', 'machine applies in team mode only (--database-url)'],
  ['/usage?machine=alice', 'INVALID_QUERY', 'machine applies in team mode only (--database-url)'],
  ['/usage?groupBy=machine', 'INVALID_QUERY', 'machine applies in team mode only (--database-url)'],
  [`/conversations/${ID}?machine=alice`, 'INVALID_QUERY', 'machine applies in team mode only (--database-url)'],
  ['/conversations?machine=..', 'INVALID_QUERY', 'query parameter machine must be a machine name; got ".."'],
  ['/conversations/123/usage', 'INVALID_ID', 'path parameter id must be a UUID; got "123"'],
  [`/conversations/${ID}/search`, 'INVALID_QUERY', 'query parameter q is required'],
  [`/conversations/${ID}/search?q=a&match=fuzzy`, 'INVALID_QUERY', 'query parameter match must be one of phrase, words; got "fuzzy"'],
  [`/conversations/${ID}/search?q=a&limit=0`, 'INVALID_QUERY', 'query parameter limit must be from 1 to 100; got 0'],
  [
    `/conversations/${ID}/search?q=a&matches=2`,
    'INVALID_QUERY',
    'unknown query parameter "matches" (did you mean "match"?); this route takes q, match, scope, limit, cursor',
  ],
  ['/search?q=a&scope=everything', 'INVALID_QUERY', 'query parameter scope must be one of messages, tools, all; got "everything"'],
  ['/search?q=a&matches=21', 'INVALID_QUERY', 'query parameter matches must be from 0 to 20; got 21'],
  ['/search?query=a', 'INVALID_QUERY', 'query parameter q is required'],
  ['/search?q=a&qq=b', 'INVALID_QUERY', 'unknown query parameter "qq" (did you mean "q"?)'],
  [
    '/usage?groupBy=year',
    'INVALID_QUERY',
    'query parameter groupBy must be one of day, week, month, model, cwd, source, provider, session, agent, machine; got "year"',
  ],
  [
    '/usage?group=day',
    'INVALID_QUERY',
    'unknown query parameter "group" (did you mean "groupBy"?); ' +
      'this route takes groupBy, tz, since, until, cwd, source, agent, provider, machine, archived, limit',
  ],
  ['/usage?limit=0', 'INVALID_QUERY', 'query parameter limit must be from 1 to 10000; got 0'],
  // One since/until parser (issue 16): usage now refuses the years a Date cannot hold, as the list did (before: 200, empty).
  ['/usage?since=%2B010000-01-01', 'INVALID_QUERY', 'since must lie between 0000-01-01 and 9999-12-31, got "+010000-01-01"'],
  ['/usage?until=-271821-04-20', 'INVALID_QUERY', 'until must lie between 0000-01-01 and 9999-12-31, got "-271821-04-20"'],
  ['/usage?since=2025-02-01&until=2025-01-01', 'INVALID_QUERY', 'since must not be after until'],
  ['/usage?tz=Mars/Olympus', 'INVALID_QUERY', 'tz must be an IANA time zone name, got "Mars/Olympus"'],
  [
    '/events?sources=cli',
    'INVALID_QUERY',
    'unknown query parameter "sources" (did you mean "source"?); this route takes cwd, source, provider, agent, archived',
  ],
  ['/events?archived=no', 'INVALID_QUERY', 'query parameter archived must be one of false, true, all; got "no"'],
  [
    `/conversations/${ID}/events?from=middle`,
    'INVALID_QUERY',
    'query parameter from must be start, end or a byte offset (a decimal number without leading zeros); got "middle"',
  ],
  [
    `/conversations/${ID}/events?form=start`,
    'INVALID_QUERY',
    'unknown query parameter "form" (did you mean "from"?); this route takes from',
  ],
  ['/conversations/zzz/events', 'INVALID_ID', 'path parameter id must be a UUID; got "zzz"'],
];

describe('400s name the parameter and what it takes (issue 17, item 14)', () => {
  it.each(CASES)('%s → 400 %s', async (url, code, detail) => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: ID, title: 'x' });
    const app = await buildTestApp(home);
    const res = await app.inject(url);
    expect([res.statusCode, res.json().code]).toEqual([400, code]);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json().detail).toContain(detail);
  });

  it('a bad Last-Event-ID names the header', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: ID, title: 'x' });
    const app = await buildTestApp(home);
    for (const url of ['/events', `/conversations/${ID}/events`]) {
      const res = await app.inject({ url, headers: { 'last-event-id': '007' } });
      expect([res.statusCode, res.json().code]).toEqual([400, 'INVALID_QUERY']);
      expect(res.json().detail).toBe('header last-event-id must be an event id: a decimal number without leading zeros; got "007"');
    }
  });

  it('a value shown back is cut to 64 characters', async () => {
    const app = await buildTestApp(await tempHome());
    const res = await app.inject(`/conversations?sort=${'x'.repeat(5000)}`);
    expect(res.json().detail).toBe(`query parameter sort must be one of created, updated; got "${'x'.repeat(64)}…"`);
  });
});
