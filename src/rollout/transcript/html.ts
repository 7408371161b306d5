import type { TextFilter } from './redact.js';
import { BOUNDS, boundText, costLine, oneLine, tokensLine } from './render.js';
import type { Bounded, Renderer, TranscriptHeader, TranscriptOptions } from './render.js';
import type { PlacedItem } from './transcript.js';
import { resumeCommand } from './resume.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every character that means something in HTML, escaped: session text is hostile and is only ever text here. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

/**
 * One self-contained page: inline CSS, no script, no external URL (not even a font or an
 * image), and a Content-Security-Policy that forbids both should anything slip through.
 * Readable on screen and printed (no fixed heights, outputs wrap, dark blocks turn light).
 */
const STYLE = `
:root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--user:#ddf4ff;--tool:#f6f8fa}
body{font:15px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);
  max-width:56rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.15rem;border-top:1px solid var(--line);padding-top:1rem;margin-top:2rem}
table.facts{border-collapse:collapse;margin-bottom:1rem}
table.facts th{text-align:left;color:var(--muted);font-weight:500;padding:.15rem 1rem .15rem 0}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--tool);border:1px solid var(--line);
  border-radius:6px;padding:.6rem .8rem;margin:.4rem 0}
.msg{margin:1rem 0;padding:.6rem .9rem;border-radius:8px;border:1px solid var(--line)}
.msg.user{background:var(--user)}.msg .who{font-weight:600}.msg .at,.muted{color:var(--muted);font-size:.85em}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.reasoning{border-left:3px solid var(--line);padding-left:.8rem;color:var(--muted);font-style:italic;white-space:pre-wrap}
.tool{margin:.6rem 0}.tool .name{font-weight:600}.notice{font-style:italic;color:var(--muted)}
.cut{display:block;color:var(--muted);font-style:italic}.diff-add{color:#116329}.diff-del{color:#82071e}
@media print{body{margin:0;max-width:none;font-size:11pt}pre,.msg{break-inside:avoid-page}h2{break-after:avoid}}
`;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

function pre(b: Bounded, diff = false): string {
  const body = (text: string) =>
    diff
      ? text.split('\n').map((l) => {
          const add = l.startsWith('+') && !l.startsWith('+++');
          const cls = add ? 'diff-add' : l.startsWith('-') && !l.startsWith('---') ? 'diff-del' : null;
          return cls === null ? escapeHtml(l) : `<span class="${cls}">${escapeHtml(l)}</span>`;
        }).join('\n')
      : escapeHtml(text);
  const cut = b.omitted > 0 ? `<span class="cut">… ${b.omitted.toLocaleString('en-US')} characters left out …</span>` : '';
  return `<pre>${body(b.head)}${cut}${body(b.tail)}</pre>\n`;
}

/** The session as one HTML page (docs/export.md). */
export class HtmlRenderer implements Renderer {
  constructor(
    private readonly options: TranscriptOptions,
    private readonly filter: TextFilter,
  ) {}

  private text(t: string): string {
    return escapeHtml(this.filter.redact(t));
  }

  begin({ summary, models, totals }: TranscriptHeader): string {
    const title = this.text(summary.name ?? summary.title ?? 'Untitled session').slice(0, 400);
    const rows: [string, string][] = [
      ['Session', `<code>${escapeHtml(summary.id)}</code>`],
      ['Project', summary.cwd === null ? '—' : `<code>${this.text(summary.cwd)}</code>`],
      ['Branch', summary.git?.branch ? `<code>${this.text(summary.git.branch)}</code>` : '—'],
      ['Model', models.length > 0 ? escapeHtml(models.join(', ')) : '—'],
      ['Started', escapeHtml(summary.createdAt)],
      ['Updated', escapeHtml(summary.updatedAt)],
      ['Tokens', totals === null ? '—' : escapeHtml(tokensLine(totals))],
      ['Cost', totals === null ? '—' : escapeHtml(costLine(totals))],
    ];
    const resume = resumeCommand(summary, summary.agent ?? 'codex');
    if (resume !== null) rows.push(['Resume', `<code>${escapeHtml(resume)}</code>`]);
    return '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n' +
      `<meta http-equiv="Content-Security-Policy" content="${CSP}">\n` +
      '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
      `<title>${title}</title>\n<style>${STYLE}</style></head>\n<body>\n<header><h1>${title}</h1>\n<table class="facts">\n` +
      rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('\n') +
      '\n</table></header>\n<main>\n';
  }

  turn(n: number): string {
    return `<h2>Turn ${n}</h2>\n`;
  }

  item({ item, toolName }: PlacedItem): string {
    const at = item.at === null ? '' : ` <span class="at">${escapeHtml(item.at)}</span>`;
    switch (item.kind) {
      case 'message': {
        const images = item.images > 0 ? `<div class="muted">[${item.images} image${item.images > 1 ? 's' : ''}]</div>` : '';
        const who = item.role === 'user' ? 'User' : 'Assistant';
        return `<article class="msg ${item.role}"><div><span class="who">${who}</span>${at}</div>` +
          `<div class="text">${this.text(item.text.trim())}</div>${images}</article>\n`;
      }
      case 'reasoning':
        return `<aside class="reasoning" aria-label="Reasoning summary">${this.text(item.text.trim())}</aside>\n`;
      case 'notice':
        return `<p class="notice">${this.text(item.text)}</p>\n`;
      case 'tool_call':
        return this.toolCall(item);
      case 'tool_output': {
        const name = toolName === null ? '' : ` of <code>${escapeHtml(toolName)}</code>`;
        const status = item.exitCode === null ? '' : ` (exit ${item.exitCode})`;
        if (this.options.tools === 'summary') {
          return item.exitCode === null ? '' : `<div class="muted">Result${name}: exit ${item.exitCode}</div>\n`;
        }
        if (item.text.trim() === '') return `<div class="muted">Output${name}${status}: (empty)</div>\n`;
        return `<div class="tool"><div class="muted">Output${name}${status}</div>` +
          pre(boundText(item.text, BOUNDS.OUTPUT_HEAD, BOUNDS.OUTPUT_TAIL, this.filter)) + '</div>\n';
      }
    }
  }

  private toolCall(item: Extract<PlacedItem['item'], { kind: 'tool_call' }>): string {
    const target = item.target == null ? '' : ` on <code>${escapeHtml(oneLine(this.filter.redact(item.target)))}</code>`;
    const head = `<section class="tool"><div>Tool call <span class="name">${escapeHtml(item.name)}</span>${target}`;
    if (this.options.tools === 'summary') {
      const what = item.command ?? (item.patch === null ? null : 'patch') ?? item.input;
      return `${head}${what === null ? '' : `: <code>${escapeHtml(oneLine(this.filter.redact(what)))}</code>`}</div></section>\n`;
    }
    let body = '';
    if (item.command !== null) body = pre(boundText(item.command, BOUNDS.INPUT_CHARS, 0, this.filter));
    else if (item.patch !== null) body = pre(boundText(item.patch, BOUNDS.PATCH_CHARS, 0, this.filter), true);
    else if (item.input !== null) body = pre(boundText(item.input, BOUNDS.INPUT_CHARS, 0, this.filter));
    return `${head}</div>${body}</section>\n`;
  }

  end(redactions: number | null): string {
    const note = redactions === null ? 'not redacted' : `${redactions} secret${redactions === 1 ? '' : 's'} redacted`;
    return `</main>\n<footer class="muted"><p>Exported by codex-sessions (${note}).</p></footer>\n</body></html>\n`;
  }
}
