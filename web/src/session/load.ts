// Loading one session: the records from the NDJSON form (exact line numbers and byte offsets,
// streamed line by line into the transcript), and the summary from the start of the JSON form.
import { apiFetch } from '../api/client.js';
import type { SessionSummary } from '../api/types.js';
import type { TranscriptBuilder } from './entries.js';
import { LineSplitter } from './ndjson.js';

export interface Loaded {
  /** Byte offset just past the last complete line read: where following the session resumes. */
  offset: number;
  /** Lines read (the next line's number is lines + 1). */
  lines: number;
  invalidLines: number;
}

const path = (id: string) => `conversations/${encodeURIComponent(id)}`;

/**
 * Streams the session's lines into `builder`, calling `onProgress` after each network chunk so
 * that the first screen renders before a long file has arrived. An unfinished last line (the
 * writer is mid-line) is left for the live follow; a last line without its newline that is
 * whole JSON is read.
 */
export async function loadRecords(
  id: string,
  builder: TranscriptBuilder,
  onProgress: (bytes: number) => void,
  signal: AbortSignal,
  machine?: string,
): Promise<Loaded> {
  const response = await apiFetch(path(id), { accept: 'application/x-ndjson', signal, params: { machine } });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const splitter = new LineSplitter();
  let lines = 0;
  let invalidLines = 0;
  const addLine = (text: string): boolean => {
    lines += 1;
    if (text.trim() === '') return true;
    try {
      builder.add(JSON.parse(text), lines);
      return true;
    } catch {
      invalidLines += 1;
      return false;
    }
  };
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const line of splitter.push(value)) addLine(line.text);
    onProgress(bytes);
  }
  let offset = splitter.offset;
  const rest = splitter.rest();
  if (rest.trim() !== '') {
    try {
      builder.add(JSON.parse(rest), lines + 1);
      lines += 1;
      offset = bytes;
    } catch {
      // unfinished: the follow delivers it once its newline is written
    }
  }
  return { offset, lines, invalidLines };
}

const RECORDS_START = ',"records":[';

/**
 * The session's summary: the JSON form starts with `{"conversation": {...},"records":[`, so
 * reading up to there is enough (the request is then cancelled). The marker cannot occur inside
 * the summary: a quote inside a JSON string is always escaped.
 */
export async function loadSummary(id: string, signal: AbortSignal, machine?: string): Promise<SessionSummary> {
  const response = await apiFetch(path(id), { signal, params: { machine } });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value) text += decoder.decode(value, { stream: true });
    const at = text.indexOf(RECORDS_START);
    if (at !== -1) {
      void reader.cancel();
      return (JSON.parse(`${text.slice(0, at)}}`) as { conversation: SessionSummary }).conversation;
    }
    if (done) return (JSON.parse(text) as { conversation: SessionSummary }).conversation;
  }
}

/** The raw NDJSON as a file download. The token goes in a header, so the bytes are fetched first. */
export async function downloadRaw(id: string, fileName: string, format?: 'markdown' | 'html', machine?: string): Promise<void> {
  // With a format: the export (docs/export.md), redacted as the server does by default.
  const exported = format && apiFetch(`${path(id)}/export`, { params: { format, machine }, accept: '*/*' });
  const response = await (exported || apiFetch(path(id), { accept: 'application/x-ndjson', params: { machine } }));
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
