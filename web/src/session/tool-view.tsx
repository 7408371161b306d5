import { ansiSegments } from '../render/ansi.js';
import { diffLines, diffStats } from '../render/diff.js';
import { href } from '../router.js';
import type { ToolEntry } from './entries.js';

/** Longer outputs show their first lines; the whole output is in the NDJSON download. */
const MAX_OUTPUT_LINES = 2000;
const OPEN_OUTPUT_LINES = 8;

function Ansi({ text }: { text: string }) {
  return (
    <>
      {ansiSegments(text).map((s, i) =>
        s.classes === '' ? (
          s.text
        ) : (
          <span key={i} class={s.classes}>
            {s.text}
          </span>
        ),
      )}
    </>
  );
}

function Output({ text }: { text: string }) {
  const lines = text.replace(/\n$/, '').split('\n');
  const shown = lines.length > MAX_OUTPUT_LINES ? lines.slice(0, MAX_OUTPUT_LINES).join('\n') : text.replace(/\n$/, '');
  const label = text === '' ? 'No output' : `Output · ${lines.length} line${lines.length === 1 ? '' : 's'}`;
  if (text === '') return <div class="tool-out empty muted">No output</div>;
  return (
    <details class="tool-out" open={lines.length <= OPEN_OUTPUT_LINES}>
      <summary>{label}</summary>
      <pre class="term">
        <Ansi text={shown} />
        {lines.length > MAX_OUTPUT_LINES && <span class="muted">{`\n… ${lines.length - MAX_OUTPUT_LINES} more lines`}</span>}
      </pre>
    </details>
  );
}

function Diff({ patch }: { patch: string }) {
  const lines = diffLines(patch);
  const stats = diffStats(lines);
  return (
    <figure class="diff" aria-label={`Patch to ${stats.files.join(', ') || 'files'}`}>
      <figcaption>
        {stats.files.join(', ')} <span class="add">+{stats.added}</span> <span class="del">−{stats.removed}</span>
      </figcaption>
      <pre>
        {lines.map((l, i) => (
          <span key={i} class={`d-${l.kind}`}>
            {l.text}
            {'\n'}
          </span>
        ))}
      </pre>
    </figure>
  );
}

function status(e: ToolEntry): { label: string; cls: string } {
  if (e.isError === true && e.exitCode === null) return { label: 'error', cls: 'fail' };
  if (e.exitCode !== null) return e.exitCode === 0 ? { label: 'exit 0', cls: 'ok' } : { label: `exit ${e.exitCode}`, cls: 'fail' };
  if (e.output !== null) return { label: 'done', cls: 'ok' };
  return e.ended ? { label: 'no result', cls: 'muted' } : { label: 'no result yet', cls: 'running' };
}

export function ToolView({ e }: { e: ToolEntry }) {
  const { call } = e;
  const st = status(e);
  return (
    <section class="entry tool" aria-label={`Tool call ${call.name}`}>
      <header class="tool-head">
        <span class="tool-name">{call.name}</span>
        {call.command !== null && <code class="cmd">{call.command}</code>}
        {call.command === null && call.target != null && <code class="cmd target">{call.target}</code>}
        <span class="spacer" />
        {e.seconds !== null && <span class="muted">{e.seconds < 10 ? e.seconds.toFixed(1) : Math.round(e.seconds)} s</span>}
        <span class={`status ${st.cls}`}>{st.label}</span>
      </header>
      {call.patch !== null && <Diff patch={call.patch} />}
      {call.plan !== null && (
        <ol class="plan">
          {call.plan.map((s, i) => (
            <li key={i} class={`plan-${s.status}`}>
              <span class="plan-status">{s.status === 'completed' ? '✓' : s.status === 'in_progress' ? '▸' : '○'}</span> {s.step}
            </li>
          ))}
        </ol>
      )}
      {call.input !== null && call.input !== '' && (
        <details class="tool-in">
          <summary>Input</summary>
          <pre class="plain">{call.input}</pre>
        </details>
      )}
      {e.subagent != null && (
        <p class="subagent">
          Sub-agent <a href={href.session(e.subagent.sessionId)}>{e.subagent.agentId}</a>
        </p>
      )}
      {e.output !== null && call.plan === null && <Output text={e.output.text} />}
    </section>
  );
}
