import type { FileStamp } from '../files/file-stamp.js';
import { openRollout, type ReadLimits } from '../reading/session-reader.js';
import { lineDocs } from '../search/file-docs.js';
import type { RolloutFile } from '../types.js';
import type { LocatedDoc } from '../search/session-matcher.js';
import type { ContentPosition, IndexDb } from './sqlite-store.js';
import type { WriteBatch } from './write-batch.js';

/** Documents held before they are written: bounds the memory one file's pass holds, whatever its size. */
const FLUSH_CHARS = 1024 * 1024;
const FLUSH_DOCS = 2000;

/**
 * Reads a file's complete lines from `from` up to `stamp.size` and queues their content (the
 * search documents) in `batch`, in steps of bounded size, each with a checkpoint: an interrupted
 * pass resumes where it stopped, and an append is read from the previous end on. Returns the
 * end position, or null when the file on disk is no longer the one stamped (replaced meanwhile:
 * the next update starts over).
 */
export async function indexContent(
  db: IndexDb,
  batch: WriteBatch,
  file: RolloutFile,
  fid: number,
  from: ContentPosition,
  stamp: FileStamp,
  limits: ReadLimits,
): Promise<ContentPosition | null> {
  const { handle, stat } = await openRollout(file);
  try {
    if (stat.ino !== stamp.ino || stat.dev !== stamp.dev || stat.size < stamp.size) return null;
    const position: ContentPosition = { ...from, state: structuredClone(from.state) };
    let docs: LocatedDoc[] = [];
    let chars = 0;
    const queue = (doneAtSize?: number) => {
      const found = docs;
      const at = { ...position, state: structuredClone(position.state) };
      docs = [];
      chars = 0;
      batch.add(() => {
        db.search.add(fid, found);
        db.checkpoint(file.relPath, at, doneAtSize);
      });
    };
    for await (const { line, doc } of lineDocs(handle, from, stamp.size, position.state.search, limits)) {
      if (doc !== null) {
        docs.push(doc);
        chars += doc.text.length;
      }
      position.offset = line.end;
      position.lineNo = line.lineNo + 1;
      if (chars >= FLUSH_CHARS || docs.length >= FLUSH_DOCS) {
        queue();
        batch.flush();
      }
    }
    queue(stamp.size);
    return position;
  } finally {
    await handle.close();
  }
}
