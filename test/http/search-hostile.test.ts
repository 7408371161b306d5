import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODES, appFor, tempHome, uuidN, writeSession } from '../helper.js';

describe.each(MODES)('search over hostile text ($mode)', ({ index }) => {
  it('a lone surrogate (JSON `\\ud800`) is U+FFFD in the snippet, and ranges point at the hit as a scan finds it', async () => {
    const home = await tempHome();
    const rel = await writeSession(home, { stamp: '2025-05-01T10-00-00', id: uuidN(1), title: 'lone surrogate' });
    // Written as JSON escapes: the file is valid UTF-8, the parsed string holds a lone surrogate.
    const line =
      '{"timestamp":"2025-05-01T10:00:05.000Z","type":"event_msg",' +
      '"payload":{"type":"agent_message","message":"before \\ud800 after the mark"}}';
    await appendFile(join(home, rel), `${line}\n`);
    const app = await appFor(home, index);
    const res = await app.inject('/search?q=after%20the%20mark&scope=messages');
    expect(res.statusCode).toBe(200);
    const [match] = res.json().items[0].matches;
    expect(match.snippet).toBe('before \uFFFD after the mark');
    expect(match.ranges).toEqual([[9, 23]]);
    expect(match.snippet.slice(9, 23)).toBe('after the mark');
    const replacement = await app.inject('/search?q=%EF%BF%BD&scope=messages');
    expect(replacement.json().items.map((i: { id: string }) => i.id)).toEqual([uuidN(1)]);
  });
});
