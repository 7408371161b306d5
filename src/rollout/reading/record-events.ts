import { chunksOf, type ByteSource } from './byte-source.js';
import { heldRecord, readRecord, readUnheld, splitRawLines, type RecordText } from './jsonl-lines.js';

export type RecordEvent =
  | { kind: 'record'; text: RecordText }
  | { kind: 'invalid'; line: number; reason: string };

/**
 * Every line of a JSON Lines file up to `size`, as a record's text or an invalid-line report,
 * whatever agent wrote it. A line longer than the hold bound is not held: its text is a range of
 * the file, checked as it streams (read its bytes with recordChunks).
 */
export async function* recordEvents(
  source: ByteSource,
  size: number,
  { maxLineBytes, holdLineBytes }: { maxLineBytes: number; holdLineBytes: number },
): AsyncGenerator<RecordEvent> {
  for await (const raw of splitRawLines(chunksOf(source, size), maxLineBytes, { holdBytes: holdLineBytes })) {
    if (raw.bytes === null) {
      const verdict = readUnheld(raw, maxLineBytes);
      if (verdict === null) continue;
      if (verdict.ok) yield { kind: 'record', text: verdict.ref };
      else yield { kind: 'invalid', line: raw.lineNo, reason: verdict.reason };
      continue;
    }
    const text = raw.bytes.toString('utf8');
    const parsed = readRecord({ lineNo: raw.lineNo, offset: raw.offset, text, terminated: raw.terminated }, maxLineBytes);
    if (parsed === null) continue;
    if (parsed.ok) yield { kind: 'record', text: heldRecord(raw.offset, raw.bytes, text, true) };
    else yield { kind: 'invalid', line: raw.lineNo, reason: parsed.reason };
  }
}
