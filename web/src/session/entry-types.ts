// The transcript's entries: what TranscriptBuilder (entries.ts) makes of a session's records.
import { isObject, str } from './records.js';
import type { ToolCall, ToolOutput } from './tool-calls.js';

export interface Base {
  key: number;
  /** The first line of the file this entry comes from; `lines` of merged duplicates are in lineIndex. */
  line: number;
  at: string | null;
  /** Bumped on every change, so that a rendered entry knows when to render again. */
  rev: number;
}

export interface MessageEntry extends Base {
  kind: 'message';
  role: 'user' | 'assistant';
  text: string;
  images: number;
  sources: number;
}
export interface ReasoningEntry extends Base {
  kind: 'reasoning';
  text: string;
  sources: number;
  /** Claude's thinking (the whole of it, not a summary): shown folded. */
  folded?: boolean;
}
export interface ContextEntry extends Base {
  kind: 'context';
  label: string;
  text: string;
  /** A record or block of a type the transcript does not know: named, with its JSON, never dropped. */
  unknown?: boolean;
}
export interface ToolEntry extends Base {
  kind: 'tool';
  callId: string | null;
  call: ToolCall;
  output: ToolOutput | null;
  exitCode: number | null;
  seconds: number | null;
  /** The turn ended without a result for this call (interrupted, or not recorded). */
  ended: boolean;
  /** The tool said it failed (Claude's `is_error`; Codex says it with an exit code). */
  isError?: boolean;
  /** A Claude sub-agent's call: its agent id and the id of its session (a UUIDv5). */
  subagent?: { agentId: string; sessionId: string } | null;
}
export interface TurnEntry extends Base {
  kind: 'turn';
  index: number;
  turnId: string | null;
  model: string | null;
  durationMs: number | null;
  hasUser: boolean;
}
export interface NoticeEntry extends Base {
  kind: 'notice';
  level: 'info' | 'warn' | 'error';
  title: string;
  text: string | null;
}

export type Entry = MessageEntry | ReasoningEntry | ContextEntry | ToolEntry | TurnEntry | NoticeEntry;
/** An entry's own fields; the builder adds key, line, at and rev. */
export type NewEntry = Entry extends infer E ? (E extends Entry ? Omit<E, 'key' | 'line' | 'at' | 'rev'> : never) : never;

export interface SessionMeta {
  id: string | null;
  timestamp: string | null;
  cwd: string | null;
  cliVersion: string | null;
  originator: string | null;
  source: string | null;
  provider: string | null;
  branch: string | null;
}

/** "environment_context", "AGENTS.md instructions": what an injected block is, from its first tag or heading. */
export function contextLabel(text: string): string {
  const start = text.trimStart();
  const tag = /^<([\w-]+)/.exec(start);
  if (tag) return (tag[1] as string).replaceAll('_', ' ');
  return (start.split('\n')[0] ?? '').replace(/^#+\s*/, '').slice(0, 60);
}

/** Text and image count of a message's `content` (a string, or parts of any text/image type). */
export function contentOf(content: unknown): { texts: string[]; images: number } {
  if (typeof content === 'string') return { texts: [content], images: 0 };
  const texts: string[] = [];
  let images = 0;
  if (Array.isArray(content)) {
    for (const part of content) {
      if (!isObject(part)) continue;
      const text = str(part.text) ?? str(part.refusal);
      if (text !== null) texts.push(text);
      else if (str(part.type)?.includes('image')) images += 1;
    }
  }
  return { texts, images };
}

export function sourceText(source: unknown): string | null {
  if (typeof source === 'string') return source;
  if (isObject(source)) return Object.keys(source)[0] ?? null;
  return null;
}
