// One transcript entry. Message text is Markdown, sanitized (render/markdown.ts); everything
// else from the session (commands, outputs, context) is rendered as text nodes, never as HTML.
import { Component } from 'preact';
import { compact, integer, time } from '../format.js';
import { markdownHtml } from '../render/markdown.js';
import { Cost } from '../ui/cost.js';
import type { ContextEntry, Entry, MessageEntry, NoticeEntry, ReasoningEntry, TurnEntry } from './entries.js';
import { ToolView } from './tool-view.js';
import type { TurnTotals } from './turn-usage.js';

function Markdown({ text }: { text: string }) {
  return <div class="md" dangerouslySetInnerHTML={{ __html: markdownHtml(text) }} />;
}

function Message({ e }: { e: MessageEntry }) {
  const who = e.role === 'user' ? 'User' : 'Assistant';
  return (
    <article class={`entry msg msg-${e.role}`} aria-label={`${who} message`} tabIndex={-1} data-nav>
      <header class="entry-head">
        <span class="who">{who}</span>
        <time class="muted">{time(e.at)}</time>
      </header>
      {e.text !== '' && <Markdown text={e.text} />}
      {e.images > 0 && <p class="muted">[{e.images === 1 ? 'an image' : `${e.images} images`}]</p>}
    </article>
  );
}

function Reasoning({ e }: { e: ReasoningEntry }) {
  if (e.folded === true) {
    return (
      <details class="entry reasoning thinking" aria-label="Thinking">
        <summary>
          <span class="label">Thinking</span> <span class="muted">{compact(e.text.length)} characters</span>
        </summary>
        <Markdown text={e.text} />
      </details>
    );
  }
  return (
    <aside class="entry reasoning" aria-label="Reasoning summary">
      <span class="label">Reasoning</span>
      <Markdown text={e.text} />
    </aside>
  );
}

function Context({ e }: { e: ContextEntry }) {
  return (
    <details class={e.unknown === true ? 'entry context unknown' : 'entry context'}>
      <summary>
        <span class="label">{e.label}</span>{' '}
        <span class="muted">{e.unknown === true ? 'a type this page does not know' : `${compact(e.text.length)} characters`}</span>
      </summary>
      {e.text !== '' && <pre class="plain">{e.text}</pre>}
    </details>
  );
}

function Turn({ e, usage }: { e: TurnEntry; usage: TurnTotals | undefined }) {
  const detail = usage
    ? `input ${integer(usage.inputTokens)} (cached ${integer(usage.cachedInputTokens)}) · ` +
      `output ${integer(usage.outputTokens)} (reasoning ${integer(usage.reasoningOutputTokens)})`
    : '';
  const model = e.model ?? usage?.models.join(', ') ?? null;
  return (
    <h2 class="entry turn" data-nav tabIndex={-1}>
      <span class="turn-name">Turn {e.index}</span>
      {model !== null && <span class="chip">{model}</span>}
      <time class="muted">{time(e.at)}</time>
      {e.durationMs !== null && <span class="muted">{(e.durationMs / 1000).toFixed(1)} s</span>}
      <span class="spacer" />
      {usage && (
        <span class="turn-usage" title={detail}>
          {compact(usage.totalTokens)} tokens
          <span class="muted">
            {' '}
            · in {compact(usage.inputTokens)} · cached {compact(usage.cachedInputTokens)} · out {compact(usage.outputTokens)}
          </span>
        </span>
      )}
      {usage && <Cost costUSD={usage.costUSD} unpriced={usage.unpriced} />}
    </h2>
  );
}

function Notice({ e }: { e: NoticeEntry }) {
  return (
    <div class={`entry notice notice-${e.level}`} role="note">
      <strong>{e.title}</strong>
      {e.text !== null && e.text !== '' && <span> {e.text}</span>}
    </div>
  );
}

interface Props {
  entry: Entry;
  rev: number;
  target: boolean;
  /** A turn's usage and cost from GET /conversations/:id/usage, once the server has answered. */
  turnUsage?: TurnTotals | undefined;
}

function EntryViewInner({ entry, target, turnUsage }: Props) {
  const body = (() => {
    switch (entry.kind) {
      case 'message':
        return <Message e={entry} />;
      case 'reasoning':
        return <Reasoning e={entry} />;
      case 'context':
        return <Context e={entry} />;
      case 'tool':
        return <ToolView e={entry} />;
      case 'turn':
        return <Turn e={entry} usage={turnUsage} />;
      case 'notice':
        return <Notice e={entry} />;
    }
  })();
  return (
    <div class={target ? 'slot target' : 'slot'} data-key={entry.key} data-line={entry.line}>
      {body}
    </div>
  );
}

/** Renders again only when the entry changed (rev), was targeted, or got its usage. */
export class EntryView extends Component<Props> {
  override shouldComponentUpdate(next: Props): boolean {
    const p = this.props;
    return p.entry !== next.entry || p.rev !== next.rev || p.target !== next.target || p.turnUsage !== next.turnUsage;
  }

  override render() {
    return <EntryViewInner {...this.props} />;
  }
}
