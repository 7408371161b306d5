// Claude's copies of a response in the usage table (docs/claude.md, "Usage rules", rules 1-2).

/** A Claude response's `source`: its copy on the main chain, or on a sidechain (docs/claude.md, rule 2). */
export const CLAUDE_MAIN = 3;
export const CLAUDE_SIDECHAIN = 4;
/** What a Claude sidechain copy's key is returned with by keysOf (the counter's seen keys name the chain). */
export const SIDECHAIN_MARK = ' (sidechain)';

/** A file that carries a shared response, as UsageStore's carriers query gives it. */
export interface Carrier {
  fid: number;
  line: number;
  source: number;
  id: string;
  createdMs: number | null;
  relPath: string;
  /** 1 when this copy is the one counted now. */
  counted: number;
}

/** Claude's order of preference between two copies of a response: negative when `a` counts before `b`. */
export function claudeOrder(a: Carrier, b: Carrier): number {
  const side = (c: Carrier) => (c.source === CLAUDE_SIDECHAIN ? 1 : 0);
  const created = (c: Carrier) => c.createdMs ?? Number.MAX_SAFE_INTEGER;
  const path = a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0;
  return side(a) - side(b) || created(a) - created(b) || path || a.line - b.line;
}


/**
 * True when `best` is the only copy counted already: nearly every response, carried by one file,
 * whose row went in counted. The UPDATE would rewrite its row and index entries for nothing. Every
 * Claude row is a carrier (a Claude file is never archived, so never shadowed): none is left out.
 */
export function ownedAlready(carriers: readonly Carrier[], best: Carrier): boolean {
  return carriers.every((c) => (c.counted === 1) === (c === best));
}
