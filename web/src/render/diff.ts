// A patch as a diff: Codex's apply_patch format (*** Begin Patch / *** Update File: / @@ / +-)
// and unified diffs (diff --git / --- / +++ / @@) both come down to one kind per line.

export type DiffLineKind = 'file' | 'hunk' | 'add' | 'del' | 'context' | 'meta';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

function kindOf(line: string): DiffLineKind {
  if (/^\*\*\* (Update|Add|Delete) File: /.test(line) || /^\*\*\* Move to: /.test(line)) return 'file';
  if (/^\*\*\* (Begin|End) Patch/.test(line) || line === '*** End of File') return 'meta';
  if (/^diff --git /.test(line) || /^(---|\+\+\+) /.test(line) || /^index [0-9a-f]/.test(line)) return 'file';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'context';
}

export function diffLines(patch: string): DiffLine[] {
  return patch
    .replace(/\n$/, '')
    .split('\n')
    .map((text) => ({ kind: kindOf(text), text }));
}

/** Files a patch touches, with lines added and removed: the summary line above a diff. */
export function diffStats(lines: DiffLine[]): { files: string[]; added: number; removed: number } {
  const files: string[] = [];
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    const file = /^\*\*\* (?:Update|Add|Delete) File: (.*)$/.exec(l.text) ?? /^\+\+\+ (?:b\/)?(.*)$/.exec(l.text);
    if (file && file[1] !== '/dev/null') files.push(file[1] as string);
    else if (l.kind === 'add') added += 1;
    else if (l.kind === 'del') removed += 1;
  }
  return { files, added, removed };
}
