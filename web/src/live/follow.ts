// Following a session as it is written (GET /conversations/:id/events, docs/live.md): each complete
// new line arrives as `event: record` whose id is the byte offset past it, so a reconnect
// (Last-Event-ID) resumes exactly where the stream stopped, and the follow starts exactly where
// the NDJSON load ended.
import { streamEvents, StopStream, type StreamState } from '../api/sse.js';
import type { TranscriptBuilder } from '../session/entries.js';

export type FollowState = StreamState;

/** `data` of `event: gone`: the session was archived, unarchived or removed; `path` is where it went. */
export interface Gone {
  reason: 'archived' | 'unarchived' | 'removed';
  path: string | null;
}

export interface FollowOptions {
  id: string;
  builder: TranscriptBuilder;
  /** Where the load stopped: its byte offset and the number of lines it read. */
  offset: number;
  lines: number;
  onChange: () => void;
  onState: (state: FollowState) => void;
  /** The file was truncated or replaced: the caller loads it again from the start. */
  onReset: () => void;
  /** The session left its place: the stream has ended. */
  onGone: (gone: Gone) => void;
  signal: AbortSignal;
  /** Team mode: the machine whose copy of the session is followed. */
  machine?: string | undefined;
}

export function followSession(o: FollowOptions): Promise<void> {
  // Line numbers count the records the stream sends. A line that is not a JSON object is not
  // sent (the load counts it): after one, a later line's number is off by one until a reload.
  let line = o.lines;
  return streamEvents(`conversations/${encodeURIComponent(o.id)}/events`, {
    params: { from: String(o.offset), machine: o.machine },
    signal: o.signal,
    onState: o.onState,
    onEvent: (event) => {
      if (event.event === 'record') {
        line += 1;
        try {
          o.builder.add(JSON.parse(event.data), line);
        } catch {
          // not JSON: the transcript skips it, as the load does
        }
        o.onChange();
      } else if (event.event === 'reset') {
        o.onReset();
        throw new StopStream('reset');
      } else if (event.event === 'gone') {
        o.onGone(JSON.parse(event.data) as Gone);
        throw new StopStream('gone');
      }
    },
  });
}
