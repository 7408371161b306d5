import type { TextFilter } from './redact.js';
import { BOUNDS, boundText, costLine, oneLine, tokensLine } from './render.js';
import type { Bounded, Renderer, TranscriptHeader, TranscriptOptions } from './render.js';
import type { PlacedItem } from './transcript.js';
import { resumeCommand } from './resume.js';

/** A fenced block whose fence is longer than any run of backticks inside it. */
function fenced(text: string, lang = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text.endsWith('\n') ? text : `${text}\n`}${fence}\n`;
}

function fencedBounded(b: Bounded, lang = ''): string {
  const cut = b.omitted > 0 ? `\n… ${b.omitted.toLocaleString('en-US')} characters left out …\n` : '';
  return fenced(b.head + cut + b.tail, lang);
}

/** A table cell: one line, pipes escaped. */
const cell = (text: string) => text.replace(/\s+/g, ' ').replaceAll('|', '\\|').trim();

const inlineCode = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

/** The session as Markdown (docs/export.md): a header table, then each turn's messages, reasoning and tools. */
export class MarkdownRenderer implements Renderer {
  constructor(
    private readonly options: TranscriptOptions,
    private readonly filter: TextFilter,
  ) {}

  begin({ summary, models, totals }: TranscriptHeader): string {
    const r = (t: string) => this.filter.redact(t);
    const title = cell(r(summary.name ?? summary.title ?? 'Untitled session')).slice(0, 200);
    const rows: [string, string][] = [
      ['Session', inlineCode(summary.id)],
      ['Project', summary.cwd === null ? '—' : inlineCode(cell(r(summary.cwd)))],
      ['Branch', summary.git?.branch ? inlineCode(cell(r(summary.git.branch))) : '—'],
      ['Model', models.length > 0 ? cell(models.join(', ')) : '—'],
      ['Started', summary.createdAt],
      ['Updated', summary.updatedAt],
      ['Tokens', totals === null ? '—' : tokensLine(totals)],
      ['Cost', totals === null ? '—' : costLine(totals)],
    ];
    const table = rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n');
    const resume = resumeCommand(summary, summary.agent ?? 'codex');
    const hint = resume === null ? '' : `\nResume with \`${resume}\`.\n`;
    return `# ${title}\n\n| | |\n|---|---|\n${table}\n${hint}`;
  }

  turn(n: number): string {
    return `\n---\n\n## Turn ${n}\n`;
  }

  item({ item, toolName }: PlacedItem): string {
    const r = (t: string) => this.filter.redact(t);
    const at = item.at === null ? '' : ` · ${item.at}`;
    switch (item.kind) {
      case 'message': {
        const images = item.images > 0 ? `\n\n*[${item.images} image${item.images > 1 ? 's' : ''}]*` : '';
        return `\n### ${item.role === 'user' ? 'User' : 'Assistant'}${at}\n\n${r(item.text).trim()}${images}\n`;
      }
      case 'reasoning':
        return `\n> **Reasoning**\n>\n${r(item.text).trim().split('\n').map((l) => `> ${l}`.trimEnd()).join('\n')}\n`;
      case 'notice':
        return `\n*${r(item.text)}*\n`;
      case 'tool_call':
        return this.toolCall(item);
      case 'tool_output': {
        const status = item.exitCode === null ? '' : ` (exit ${item.exitCode})`;
        const name = toolName === null ? '' : ` of \`${toolName}\``;
        if (this.options.tools === 'summary') return item.exitCode === null ? '' : `Result${name}: exit ${item.exitCode}\n`;
        if (item.text.trim() === '') return `\nOutput${name}${status}: *(empty)*\n`;
        return `\nOutput${name}${status}:\n\n${fencedBounded(boundText(item.text, BOUNDS.OUTPUT_HEAD, BOUNDS.OUTPUT_TAIL, this.filter))}`;
      }
    }
  }

  private toolCall(item: Extract<PlacedItem['item'], { kind: 'tool_call' }>): string {
    const filter = this.filter;
    const target = item.target == null ? '' : ` on ${inlineCode(oneLine(filter.redact(item.target)))}`;
    const head = `\n**Tool call** \`${item.name}\`${target}`;
    if (this.options.tools === 'summary') {
      const what = item.command ?? (item.patch === null ? null : 'patch') ?? item.input;
      return `${head}${what === null ? '' : `: ${inlineCode(oneLine(filter.redact(what)))}`}\n`;
    }
    if (item.command !== null) return `${head}\n\n${fencedBounded(boundText(item.command, BOUNDS.INPUT_CHARS, 0, filter), 'sh')}`;
    if (item.patch !== null) return `${head}\n\n${fencedBounded(boundText(item.patch, BOUNDS.PATCH_CHARS, 0, filter), 'diff')}`;
    if (item.input !== null) return `${head}\n\n${fencedBounded(boundText(item.input, BOUNDS.INPUT_CHARS, 0, filter))}`;
    return `${head}\n`;
  }

  end(redactions: number | null): string {
    const note = redactions === null ? 'not redacted' : `${redactions} secret${redactions === 1 ? '' : 's'} redacted`;
    return `\n---\n\n*Exported by codex-sessions (${note}).*\n`;
  }
}
