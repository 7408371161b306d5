// The live-update loads of the benchmark (SPEC §4 and §7), used by bench/run.mjs: how soon an
// appended line reaches a follower, and whether 200 followers of one session under appends all
// get every line once.
import { appendFile } from 'node:fs/promises';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';

/**
 * A minimal server-sent-events reader over its own connection: `onEvent({event, id, data})`
 * for every frame with a field (comments are skipped). `ready` resolves with the status once
 * the first frame has arrived (the follower's start offset), or at once for a non-200.
 */
export function subscribe(port, path, onEvent) {
  let req;
  const ready = new Promise((resolve, reject) => {
    req = request({ host: HOST, port, path, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(res.statusCode);
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      let first = true;
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = { event: null, id: null, data: null };
          for (const line of frame.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            const field = line.slice(0, colon);
            const value = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') event.data = event.data === null ? value : `${event.data}\n${value}`;
            else if (field === 'event' || field === 'id') event[field] = value;
          }
          if (event.event === null && event.id === null && event.data === null) continue;
          onEvent(event);
          if (first) {
            first = false;
            resolve(200);
          }
        }
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
    req.end();
  });
  return { ready, close: () => req.destroy() };
}

/** One line of the session file that carries a sequence number. */
const benchLine = (seq) =>
  `${JSON.stringify({
    timestamp: new Date().toISOString(),
    type: 'event_msg',
    payload: { type: 'agent_message', message: 'bench', benchSeq: seq },
  })}\n`;

const seqOf = (event) => (event.event === 'record' ? JSON.parse(event.data).payload?.benchSeq : undefined);

async function until(check, ms) {
  const deadline = performance.now() + ms;
  while (!check() && performance.now() < deadline) await sleep(5);
  return check();
}

/**
 * Append → event latency of one follower: `lines` lines appended `gapMs` apart, each timed from
 * just before its write to the arrival of its `record` event.
 */
export async function appendLatency({ port, id, file, lines = 100, gapMs = 20 }) {
  const sent = new Map();
  const latencies = [];
  const sub = subscribe(port, `/conversations/${id}/events`, (event) => {
    const seq = seqOf(event);
    const t0 = sent.get(seq);
    if (t0 === undefined) return;
    latencies.push(performance.now() - t0);
    sent.delete(seq);
  });
  const status = await sub.ready;
  if (status !== 200) throw new Error(`follow answered ${status}`);
  for (let seq = 1; seq <= lines; seq++) {
    sent.set(seq, performance.now());
    await appendFile(file, benchLine(seq));
    await sleep(gapMs);
  }
  await until(() => sent.size === 0, 10_000);
  sub.close();
  return { latencies: latencies.sort((a, b) => a - b), lost: sent.size };
}

/**
 * `followers` clients follow one session while `lines` lines are appended in bursts of `burst`.
 * Every follower must get lines 1..lines, each once, in order: `lost` counts the missing,
 * `duplicated` and `outOfOrder` the rest.
 */
export async function manyFollowers({ port, id, file, followers = 200, lines = 1000, burst = 20, seqBase = 1_000_000 }) {
  const got = Array.from({ length: followers }, () => []);
  const subs = got.map((seqs) =>
    subscribe(port, `/conversations/${id}/events`, (event) => {
      const seq = seqOf(event);
      if (seq !== undefined) seqs.push(seq - seqBase);
    }),
  );
  const statuses = await Promise.all(subs.map((s) => s.ready));
  const refused = statuses.filter((s) => s !== 200).length;
  if (refused > 0) throw new Error(`${refused} of ${followers} follows were refused (status ${statuses.find((s) => s !== 200)})`);
  const t0 = performance.now();
  for (let seq = 1; seq <= lines; seq += burst) {
    let text = '';
    for (let k = seq; k < seq + burst && k <= lines; k++) text += benchLine(seqBase + k);
    await appendFile(file, text);
    await sleep(10);
  }
  await until(() => got.every((seqs) => seqs.length >= lines), 120_000);
  const ms = performance.now() - t0;
  for (const s of subs) s.close();
  let lost = 0;
  let duplicated = 0;
  let outOfOrder = 0;
  for (const seqs of got) {
    const unique = new Set(seqs);
    lost += lines - [...unique].filter((n) => n >= 1 && n <= lines).length;
    duplicated += seqs.length - unique.size;
    outOfOrder += seqs.filter((n, i) => i > 0 && n < seqs[i - 1]).length;
  }
  return { followers, lines, lost, duplicated, outOfOrder, ms };
}
