import { isObject, type NormalizedRecord } from './formats.js';
import { isInjectedContext } from './injected-context.js';

export { isInjectedContext };

const USER_REQUEST_MARKER = '## My request for Codex:';
export const IMAGE_TITLE = '[Image]';

/** The part of a message the user typed: after Codex's request marker when present, trimmed. */
export function stripToUserRequest(text: string): string {
  const at = text.indexOf(USER_REQUEST_MARKER);
  return (at === -1 ? text : text.slice(at + USER_REQUEST_MARKER.length)).trim();
}

function nonEmptyArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

/** Title from an `event_msg` `user_message` payload, or null when it is not a real user message. */
function fromUserMessageEvent(payload: Record<string, unknown>): string | null {
  // Older events tag injected context with a kind other than "plain".
  if (typeof payload.kind === 'string' && payload.kind !== 'plain') return null;
  const message = typeof payload.message === 'string' ? payload.message : '';
  if (isInjectedContext(message)) return null;
  const text = stripToUserRequest(message);
  if (text !== '') return text;
  return nonEmptyArray(payload.images) || nonEmptyArray(payload.local_images) ? IMAGE_TITLE : null;
}

/** Title from a user-role `message` response item, or null when all of it is injected context. */
function fromUserResponseMessage(content: unknown): string | null {
  if (typeof content === 'string') {
    return isInjectedContext(content) ? null : stripToUserRequest(content) || null;
  }
  if (!Array.isArray(content)) return null;
  let sawImage = false;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (typeof part.text === 'string') {
      if (isInjectedContext(part.text)) continue;
      const text = stripToUserRequest(part.text);
      if (text !== '') return text;
    } else if (typeof part.type === 'string' && part.type.includes('image')) {
      sawImage = true;
    }
  }
  return sawImage ? IMAGE_TITLE : null;
}

/**
 * Finds a session's title in its records, in file order. A `user_message` event is the most
 * faithful source (what the user typed); files without such events fall back to the first
 * user-role response item. Codex writes the event right after that response item, so once a
 * candidate is known the search ends at the next non-user response item.
 */
export class TitleFinder {
  private found: string | null = null;
  private candidate: string | null = null;
  done = false;

  feed(record: NormalizedRecord): void {
    if (this.done) return;
    const p = record.payload;
    if (record.kind === 'event_msg' && p.type === 'user_message') {
      const title = fromUserMessageEvent(p);
      if (title !== null) {
        this.found = title;
        this.done = true;
      }
    } else if (record.kind === 'response_item') {
      if (p.type === 'message' && p.role === 'user') {
        this.candidate ??= fromUserResponseMessage(p.content);
      } else if (this.candidate !== null) {
        this.done = true;
      }
    }
  }

  get title(): string | null {
    return this.found ?? this.candidate;
  }
}
