// Terminal output with its colours: SGR sequences become styled segments (the 16 standard
// colours, bold, dim, italic, underline); every other escape sequence is dropped, and a
// carriage return keeps only what was written last on its line (progress bars).

export interface Segment {
  text: string;
  /** CSS classes: ansi-fg-N, ansi-bg-N (N 0..15), ansi-bold, ansi-dim, ansi-italic, ansi-underline. */
  classes: string;
}

interface Style {
  fg: number | null;
  bg: number | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

const PLAIN: Style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
// CSI ... final byte, OSC ... BEL/ST, and two-character escapes. Matching control characters is the point.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b(?:\[([0-9;?]*)([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

function classesOf(s: Style): string {
  const out: string[] = [];
  if (s.fg !== null) out.push(`ansi-fg-${s.fg}`);
  if (s.bg !== null) out.push(`ansi-bg-${s.bg}`);
  if (s.bold) out.push('ansi-bold');
  if (s.dim) out.push('ansi-dim');
  if (s.italic) out.push('ansi-italic');
  if (s.underline) out.push('ansi-underline');
  return out.join(' ');
}

function applySgr(style: Style, params: string): Style {
  const codes = params === '' ? [0] : params.split(';').map((p) => Number(p || 0));
  let s = { ...style };
  for (let i = 0; i < codes.length; i += 1) {
    const c = codes[i] as number;
    if (c === 0) s = { ...PLAIN };
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) s.bold = s.dim = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c === 39) s.fg = null;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 49) s.bg = null;
    else if (c === 38 || c === 48) {
      // 256-colour and true-colour forms: the first 16 palette entries map, others are dropped.
      const mode = codes[i + 1];
      const index = codes[i + 2];
      if (mode === 5 && index !== undefined && index < 16) s[c === 38 ? 'fg' : 'bg'] = index;
      i += mode === 5 ? 2 : mode === 2 ? 4 : 0;
    }
  }
  return s;
}

/** Keeps, on each line, only what follows its last carriage return (the terminal's final state). */
function collapseCarriageReturns(text: string): string {
  if (!text.includes('\r')) return text;
  return text
    .split('\n')
    .map((line) => {
      const parts = line.replace(/\r+$/, '').split('\r');
      return parts[parts.length - 1] ?? '';
    })
    .join('\n');
}

export function ansiSegments(input: string): Segment[] {
  const text = collapseCarriageReturns(input);
  const segments: Segment[] = [];
  let style = PLAIN;
  let last = 0;
  const emit = (piece: string) => {
    if (piece === '') return;
    const classes = classesOf(style);
    const prev = segments[segments.length - 1];
    if (prev && prev.classes === classes) prev.text += piece;
    else segments.push({ text: piece, classes });
  };
  for (const m of text.matchAll(ESCAPE)) {
    emit(text.slice(last, m.index));
    if (m[2] === 'm') style = applySgr(style, m[1] ?? '');
    last = (m.index as number) + m[0].length;
  }
  emit(text.slice(last));
  return segments;
}

export function stripAnsi(text: string): string {
  return ansiSegments(text)
    .map((s) => s.text)
    .join('');
}
