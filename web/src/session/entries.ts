// Records → what the transcript shows, one record at a time (so that a live session appends):
// turns, messages, reasoning summaries, tool calls paired with their outputs, and notices.
// A Claude Code file (the first line that says which agent wrote it decides, as the export's
// reader does) goes through claude-entries.ts instead of the Codex rules below.
// Token usage is counted by the server (GET /conversations/:id/usage); the builder only notes
// which turn each usage line falls in (turn-usage.ts places the server's turns with that).
// Codex writes most things twice (an event and a response item, or in 0.169 an item_completed
// event and a response item); each pair becomes one entry.
import { isInjectedContext } from '../../../src/rollout/sources/codex/injected-context.js';
import { agentOfRecord, type Agent } from '../../../src/rollout/sources/line-agent.js';
import { addClaudeRecord, type LineAt } from './claude-entries.js';
import {
  contentOf,
  contextLabel,
  sourceText,
  type Entry,
  type NewEntry,
  type SessionMeta,
  type ToolEntry,
  type TurnEntry,
} from './entry-types.js';
import { isObject, num, str, viewOf, type Json, type RecordView } from './records.js';
import { commandText, durationSeconds, toolCallOf, toolOutputOf, type ToolCall, type ToolOutput } from './tool-calls.js';
import type { UsageMark } from './turn-usage.js';

export type * from './entry-types.js';

const EVENT = 1;
const RESPONSE = 2;

export class TranscriptBuilder {
  readonly entries: Entry[] = [];
  meta: SessionMeta | null = null;
  /** Who wrote the file, once a line has said (agentOfRecord); null while none has. */
  agent: Agent | null = null;
  /** Bumped whenever entries change (appended or updated). */
  version = 0;
  private nextKey = 0;
  private turn: TurnEntry | null = null;
  /** The model of the latest turn_context (or thread settings): the next turn's model. */
  private model: string | null = null;
  private turnStart = 0;
  private readonly turnsById = new Map<string, TurnEntry>();
  private readonly turnsInOrder: TurnEntry[] = [];
  private readonly tools = new Map<string, ToolEntry>();
  /** Calls of the current turn still waiting for their result. */
  private readonly openTools = new Set<ToolEntry>();
  private readonly lineIndex = new Map<number, number>();
  /** Every line that can carry a counted response, in file order, with the turn it falls in. */
  readonly usageMarks: UsageMark[] = [];
  /** The time a line without its own timestamp takes (as the server's counter does). */
  private lastTimestamp: string | null = null;

  /** Adds one parsed line (1-based `line`); kinds the transcript does not show change nothing. */
  add(record: unknown, line: number): void {
    if (!isObject(record)) return;
    this.agent ??= agentOfRecord(record);
    const timestamp = str(record.timestamp);
    if (timestamp !== null && !Number.isNaN(Date.parse(timestamp))) this.lastTimestamp = timestamp;
    if (this.agent === 'claude') return addClaudeRecord(this, record, { line, timestamp });
    const view = viewOf(record, line);
    if (view !== null) this.dispatch(view);
  }

  /** The index of the entry that shows `line`, or of the nearest entry before it. */
  indexForLine(line: number): number {
    const exact = this.lineIndex.get(line);
    if (exact !== undefined) return exact;
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.entries[mid] as Entry).line <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The entry key of the turn with this Codex turn id. */
  turnKey(turnId: string): number | undefined {
    return this.turnsById.get(turnId)?.key;
  }

  private dispatch(rec: RecordView): void {
    const p = rec.payload;
    switch (rec.kind) {
      case 'session_meta':
        return this.sessionMeta(rec);
      case 'turn_context':
        return this.turnContext(str(p.turn_id), str(p.model), rec);
      case 'response_item':
        return this.responseItem(rec);
      case 'event_msg':
        return this.event(rec);
      case 'compacted':
        this.push({ kind: 'notice', level: 'info', title: 'Conversation compacted', text: str(p.message) }, rec);
        return;
      case 'token_usage_record':
        return this.markUsage(str(p.turn_id));
      default:
        return; // state markers and kinds the transcript does not show
    }
  }

  private sessionMeta(rec: RecordView): void {
    const p = rec.payload;
    if (this.meta !== null) {
      this.push({ kind: 'notice', level: 'info', title: `Session meta of ${str(p.id) ?? 'another session'}`, text: null }, rec);
      return;
    }
    const git = isObject(p.git) ? p.git : {};
    this.meta = {
      id: str(p.id),
      timestamp: str(p.timestamp),
      cwd: str(p.cwd),
      cliVersion: str(p.cli_version),
      originator: str(p.originator),
      source: sourceText(p.source),
      provider: str(p.model_provider),
      branch: str(git.branch),
    };
    this.version += 1;
  }

  private responseItem(rec: RecordView): void {
    const p = rec.payload;
    switch (p.type) {
      case 'message':
        return this.message(str(p.role) ?? 'user', p.content, RESPONSE, rec);
      case 'reasoning': {
        const summary = Array.isArray(p.summary) ? p.summary.filter(isObject).map((s) => str(s.text) ?? '') : [];
        return this.reasoning(summary.join('\n\n'), RESPONSE, rec);
      }
      case 'function_call':
      case 'custom_tool_call':
      case 'local_shell_call':
      case 'web_search_call':
        return this.toolCall(str(p.call_id) ?? str(p.id), toolCallOf(p), rec);
      case 'function_call_output':
      case 'custom_tool_call_output':
        this.toolResult(str(p.call_id), toolOutputOf(p.output), null, null, rec);
        return;
      default:
        return;
    }
  }

  private event(rec: RecordView): void {
    const p = rec.payload;
    switch (p.type) {
      case 'task_started':
        return this.startTurn(str(p.turn_id), rec);
      case 'task_complete':
        if (this.turn) this.update(this.turn, { durationMs: num(p.duration_ms) });
        return this.endOpenTools();
      case 'user_message':
        // Older events also carry injected context (kind other than "plain"); the response item shows it.
        if (typeof p.kind === 'string' && p.kind !== 'plain') return;
        return this.message('user', str(p.message) ?? '', EVENT, rec, Array.isArray(p.images) ? p.images.length : 0);
      case 'agent_message':
        return this.message('assistant', str(p.message) ?? '', EVENT, rec);
      case 'agent_reasoning':
        return this.reasoning(str(p.text) ?? '', EVENT, rec);
      case 'item_completed':
        return this.itemCompleted(isObject(p.item) ? p.item : {}, rec);
      case 'exec_command_begin':
      case 'exec_command_end': {
        const output = str(p.aggregated_output) ?? [str(p.stdout), str(p.stderr)].filter(Boolean).join('');
        const call = { name: 'shell', command: commandText(p.command), patch: null, plan: null, input: null };
        this.toolCall(str(p.call_id), call, rec);
        if (p.type === 'exec_command_begin') return;
        this.toolResult(
          str(p.call_id),
          { text: output, exitCode: null, seconds: null },
          num(p.exit_code),
          durationSeconds(p.duration),
          rec,
        );
        return;
      }
      case 'patch_apply_end': {
        const output = [str(p.stdout), str(p.stderr)].filter(Boolean).join('');
        this.toolResult(str(p.call_id), { text: output, exitCode: null, seconds: null }, p.success === false ? 1 : 0, null, rec);
        return;
      }
      case 'token_count':
        if (isObject(p.info)) this.markUsage(null);
        return;
      case 'thread_settings_applied':
        if (isObject(p.thread_settings)) this.turnContext(null, str(p.thread_settings.model), rec);
        return;
      case 'turn_aborted':
        this.push({ kind: 'notice', level: 'warn', title: 'Turn aborted', text: str(p.reason) }, rec);
        return this.endOpenTools();
      case 'error':
      case 'stream_error':
        this.push({ kind: 'notice', level: p.type === 'error' ? 'error' : 'warn', title: 'Error', text: str(p.message) }, rec);
        return;
      case 'context_compacted':
        this.push({ kind: 'notice', level: 'info', title: 'Context compacted', text: null }, rec);
        return;
      default:
        return;
    }
  }

  /** Codex 0.169's `item_completed` events: duplicates of response items, except command results. */
  private itemCompleted(item: Json, rec: RecordView): void {
    const content = Array.isArray(item.content) ? item.content : [];
    switch (item.type) {
      case 'UserMessage':
        return this.message('user', content, EVENT, rec);
      case 'AgentMessage':
        return this.message('assistant', content, EVENT, rec);
      case 'Reasoning':
        return this.reasoning(
          Array.isArray(item.summary_text) ? item.summary_text.filter((t) => typeof t === 'string').join('\n\n') : '',
          EVENT,
          rec,
        );
      case 'CommandExecution': {
        const output = { text: str(item.aggregated_output) ?? '', exitCode: null, seconds: null };
        const call = { name: 'shell', command: commandText(item.command), patch: null, plan: null, input: null };
        this.toolCall(str(item.id), call, rec);
        this.toolResult(str(item.id), output, num(item.exit_code), durationSeconds(item.duration), rec);
        return;
      }
      default:
        return;
    }
  }

  private message(role: string, content: unknown, source: number, rec: RecordView, extraImages = 0): void {
    if (role === 'developer' || role === 'system') {
      const { texts } = contentOf(content);
      this.push({ kind: 'context', label: role === 'developer' ? 'developer instructions' : 'system', text: texts.join('\n\n') }, rec);
      return;
    }
    const { texts, images } = contentOf(content);
    const typed: string[] = [];
    for (const text of texts) {
      if (role === 'user' && isInjectedContext(text)) {
        if (source === RESPONSE) this.push({ kind: 'context', label: contextLabel(text), text }, rec);
      } else typed.push(text);
    }
    const text = typed.join('\n\n');
    if (text.trim() === '' && images + extraImages === 0) return;
    const kindRole = role === 'assistant' ? 'assistant' : 'user';
    if (this.mergeDuplicate((e) => e.kind === 'message' && e.role === kindRole && e.text.trim() === text.trim(), source, rec)) return;
    if (kindRole === 'user') {
      if (this.turn === null || this.turn.hasUser) this.startTurn(null, rec);
      (this.turn as TurnEntry).hasUser = true;
    }
    this.push({ kind: 'message', role: kindRole, text, images: images + extraImages, sources: source }, rec);
  }

  private reasoning(text: string, source: number, rec: RecordView): void {
    if (text.trim() === '') return;
    if (this.mergeDuplicate((e) => e.kind === 'reasoning' && e.text.trim() === text.trim(), source, rec)) return;
    this.push({ kind: 'reasoning', text, sources: source }, rec);
  }

  /** The event and response-item forms of one message: the second one only adds its line. */
  private mergeDuplicate(same: (e: Entry) => boolean, source: number, rec: LineAt): boolean {
    const stop = Math.max(this.turnStart, this.entries.length - 60);
    for (let i = this.entries.length - 1; i >= stop; i -= 1) {
      const e = this.entries[i] as Entry;
      if ((e.kind === 'message' || e.kind === 'reasoning') && (e.sources & source) === 0 && same(e)) {
        e.sources |= source;
        this.lineIndex.set(rec.line, i);
        return true;
      }
    }
    return false;
  }

  /** The current turn: the last one started. */
  get currentTurn(): TurnEntry | null {
    return this.turn;
  }

  toolCall(callId: string | null, call: ToolCall, rec: LineAt): void {
    const known = callId === null ? undefined : this.tools.get(callId);
    if (known) {
      // The response item wins over an event's reconstruction of the same call.
      if (known.call.command === null && known.call.patch === null) this.update(known, { call: { ...call, name: call.name } });
      this.lineIndex.set(rec.line, this.entries.indexOf(known));
      return;
    }
    const entry = this.push({ kind: 'tool', callId, call, output: null, exitCode: null, seconds: null, ended: false }, rec) as ToolEntry;
    if (callId !== null) this.tools.set(callId, entry);
    this.openTools.add(entry);
  }

  /** Pairs a result with its call (a call not seen gets an entry of its own); returns the call's entry. */
  toolResult(callId: string | null, output: ToolOutput, exitCode: number | null, seconds: number | null, rec: LineAt): ToolEntry {
    let entry = callId === null ? undefined : this.tools.get(callId);
    if (entry === undefined) {
      this.toolCall(callId, { name: 'tool', command: null, patch: null, plan: null, input: null }, rec);
      entry = this.entries[this.entries.length - 1] as ToolEntry;
    } else this.lineIndex.set(rec.line, this.entries.indexOf(entry));
    this.openTools.delete(entry);
    this.update(entry, {
      // The model-facing output (response item) is kept when both forms exist; events fill gaps.
      output: entry.output === null || entry.output.text === '' ? output : entry.output,
      exitCode: exitCode ?? output.exitCode ?? entry.exitCode,
      seconds: seconds ?? output.seconds ?? entry.seconds,
    });
    return entry;
  }

  endOpenTools(): void {
    for (const tool of this.openTools) this.update(tool, { ended: true });
    this.openTools.clear();
  }

  startTurn(turnId: string | null, rec: LineAt): void {
    this.endOpenTools();
    const last = this.entries[this.entries.length - 1];
    if (this.turn !== null && last === this.turn && this.turn.turnId === null) {
      this.update(this.turn, { turnId });
    } else {
      const index = this.turn === null ? 1 : this.turn.index + 1;
      const model = this.model;
      const fields = {
        kind: 'turn',
        index,
        turnId,
        model,
        durationMs: null,
        hasUser: false,
      } as const;
      this.turn = this.push(fields, rec) as TurnEntry;
      this.turnsInOrder.push(this.turn);
      this.turnStart = this.entries.length;
    }
    if (turnId !== null) this.turnsById.set(turnId, this.turn);
  }

  private turnContext(turnId: string | null, model: string | null, rec: RecordView): void {
    if (turnId !== null && (this.turn === null || (this.turn.turnId !== null && this.turn.turnId !== turnId))) this.startTurn(turnId, rec);
    else if (turnId !== null && this.turn !== null && this.turn.turnId === null) {
      this.update(this.turn, { turnId });
      this.turnsById.set(turnId, this.turn);
    }
    if (model === null) return;
    this.model = model;
    if (this.turn !== null && this.turn.model !== model) this.update(this.turn, { model });
  }

  /** A usage line: usage records name their turn; token_count events belong to the turn they are in. */
  markUsage(turnId: string | null): void {
    const turn = (turnId === null ? undefined : this.turnsById.get(turnId)) ?? this.turn;
    this.usageMarks.push({ at: this.lastTimestamp, turnKey: turn?.key ?? null });
    this.version += 1;
  }

  push(fields: NewEntry, rec: LineAt): Entry {
    const entry = { ...fields, key: this.nextKey++, line: rec.line, at: rec.timestamp, rev: 0 } as Entry;
    this.lineIndex.set(rec.line, this.entries.length);
    this.entries.push(entry);
    this.version += 1;
    return entry;
  }

  update<E extends Entry>(entry: E, fields: Partial<E>): void {
    Object.assign(entry, fields);
    entry.rev += 1;
    this.version += 1;
  }
}
