// Following a session as it is written (GET /conversations/:id/events, SPEC §7): each complete
// new line arrives as `event: record` whose id is the byte offset past it, so a reconnect
// (Last-Event-ID) resumes exactly where the stream stopped, and the follow starts exactly where
// the NDJSON load ended.
import { streamEvents, StopStream, type StreamState } from '../api/sse.js';
import type { TranscriptBuilder } from '../session/entries.js';

export type FollowState = StreamState | 'gone';

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
  signal: AbortSignal;
}

export function followSession(o: FollowOptions): Promise<void> {
  let line = o.lines;
  return streamEvents(`conversations/${encodeURIComponent(o.id)}/events`, {
    params: { from: String(o.offset) },
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
        o.onState('gone');
        throw new StopStream('gone');
      }
    },
  });
}
