import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, isAbort } from '../api/client.js';
import type { SessionSummary } from '../api/types.js';
import { bytes, compact, dateTime, integer, projectName } from '../format.js';
import { followSession, type FollowState, type Gone } from '../live/follow.js';
import { href } from '../router.js';
import { AgentBadge } from '../ui/agent-badge.js';
import { CopyButton } from '../ui/copy-button.js';
import { Cost } from '../ui/cost.js';
import { ErrorBanner } from '../ui/error-banner.js';
import { MachineBadge, machineParam } from '../ui/machine.js';
import { TranscriptBuilder } from './entries.js';
import { downloadRaw, loadRecords, loadSummary, type Loaded } from './load.js';
import { resumeCommand } from './resume.js';
import { Transcript } from './transcript.js';
import { usageByTurn } from './turn-usage.js';
import { useSessionUsage } from './use-session-usage.js';

function Fact({ label, children, title }: { label: string; children: unknown; title?: string | undefined }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <div class="fact" title={title}>
      <dt>{label}</dt>
      <dd>{children as string}</dd>
    </div>
  );
}

const LIVE_LABELS: Partial<Record<FollowState, string>> = { live: 'following', retrying: 'reconnecting…' };
const ENDED_LABELS: Record<Gone['reason'], string> = {
  archived: 'ended: archived',
  unarchived: 'ended: moved out of the archive',
  removed: 'ended: removed from disk',
};

function LiveState({ follow, gone }: { follow: FollowState; gone: Gone | null }) {
  const label = gone !== null ? ENDED_LABELS[gone.reason] : LIVE_LABELS[follow];
  if (label === undefined) return null;
  const where = gone?.path === null ? 'The file is gone.' : `Now at ${gone?.path}. Nothing more is written to it.`;
  const title = gone === null ? undefined : where;
  return (
    <span class={`live-dot ${gone !== null ? 'gone' : follow}`} aria-live="polite" title={title}>
      {label}
    </span>
  );
}

/** AMBIGUOUS_ID of a team server: the session is on several machines, one link for each. */
function ChooseMachine({ id, machines, line }: { id: string; machines: readonly string[]; line: number | null }) {
  return (
    <div class="banner choose-machine" role="alert">
      <p>This session is on {machines.length} machines. Which copy do you want to read?</p>
      <ul class="machine-choices">
        {machines.map((m) => (
          <li key={m}>
            <a class="btn" href={href.session(id, line ?? undefined, m)}>
              {m}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function SessionView({ id, query }: { id: string; query: URLSearchParams }) {
  const focusLine = Number(query.get('line')) || null;
  const machine = machineParam(query);
  const [generation, setGeneration] = useState(0);
  const builder = useMemo(() => new TranscriptBuilder(), [id, generation]);
  const [version, setVersion] = useState(0);
  const [summary, setSummary] = useState<SessionSummary | null>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [received, setReceived] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [follow, setFollow] = useState<FollowState>('closed');
  const [gone, setGone] = useState<Gone | null>(null);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const frame = useRef(0);
  const usage = useSessionUsage(id, loaded !== null, builder.usageMarks.length, machine);
  const turnUsage = useMemo(() => usage && usageByTurn(usage.turns, builder.usageMarks, (t) => builder.turnKey(t)), [usage, builder]);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    setLoaded(null);
    setError(null);
    setGone(null);
    // One re-render per animation frame while the file streams in.
    const changed = () => {
      if (frame.current !== 0) return;
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        setVersion(builder.version);
      });
    };
    const fail = (err: unknown) => {
      if (!isAbort(err) && !signal.aborted) setError(err);
    };
    loadSummary(id, signal, machine).then(setSummary, fail);
    loadRecords(id, builder, (n) => (setReceived(n), changed()), signal, machine)
      .then((result) => {
        if (signal.aborted) return;
        setLoaded(result);
        setVersion(builder.version);
        return followSession({
          id,
          builder,
          offset: result.offset,
          lines: result.lines,
          onChange: changed,
          onState: setFollow,
          machine,
          onReset: () => setGeneration((g) => g + 1),
          onGone: (where) => {
            setGone(where);
            // Archived or moved back: the summary says where it is now (removed: it is gone).
            if (where.reason !== 'removed') loadSummary(id, signal, machine).then(setSummary, () => {});
          },
          signal,
        });
      })
      .catch(fail);
    return () => {
      controller.abort();
      cancelAnimationFrame(frame.current);
      frame.current = 0;
    };
  }, [builder]);

  const meta = builder.meta;
  const missing = error instanceof ApiError && error.code === 'NOT_FOUND';
  const onMachines = error instanceof ApiError && error.code === 'AMBIGUOUS_ID' && error.machines.length > 1 ? error.machines : null;
  const pending = missing ? 'No such session' : error !== null ? 'Session' : 'Loading…';
  const title = summary?.name ?? summary?.title ?? (loaded ? '(no message yet)' : pending);
  const totals = usage?.totals;
  const fileName = summary?.path.split('/').pop() ?? `${id}.jsonl`;
  const cwd = summary?.cwd ?? meta?.cwd ?? null;
  // The id the server gave (not the link's): what Copy, Download and Export use, and only once it has.
  const serverId = summary?.id ?? null;
  // The server's word when it gives one; else what the file's lines say (a server that serves Codex only).
  const agent = summary?.agent ?? builder.agent ?? 'codex';
  const resume = summary ? resumeCommand(summary, agent) : null;
  const onDownload = (format?: 'markdown' | 'html') => {
    if (serverId === null) return;
    setDownloadError(null);
    const name = format ? `${agent}-session-${serverId}.${format === 'html' ? 'html' : 'md'}` : fileName;
    downloadRaw(serverId, name, format, machine).catch(setDownloadError);
  };
  return (
    <section class="view session-view" aria-labelledby="session-title" data-session={id}>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href={href.sessions()}>Sessions</a>
        {cwd && (
          <>
            {' / '}
            <a href={href.sessions(new URLSearchParams({ cwd }))} title={cwd}>
              {projectName(cwd)}
            </a>
          </>
        )}
      </nav>
      <header class="session-head">
        <h1 id="session-title">{title}</h1>
        {summary?.name && summary.title && <p class="subtitle muted">{summary.title}</p>}
        <dl class="facts">
          {summary?.agent !== undefined && (
            <div class="fact">
              <dt>Agent</dt>
              <dd>
                <AgentBadge agent={summary.agent} always />
              </dd>
            </div>
          )}
          {summary?.machine !== undefined && (
            <div class="fact">
              <dt>Machine</dt>
              <dd>
                <MachineBadge machine={summary.machine} always />
              </dd>
            </div>
          )}
          <Fact label="Project" title={cwd ?? ''}>
            {cwd}
          </Fact>
          <Fact label="Branch">{summary?.git?.branch ?? meta?.branch}</Fact>
          <Fact label="Source">{summary?.source ?? meta?.source}</Fact>
          <Fact label="Provider">{summary?.modelProvider ?? meta?.provider}</Fact>
          <Fact label="CLI">{summary?.cliVersion ?? meta?.cliVersion}</Fact>
          <Fact label="Created">{dateTime(summary?.createdAt ?? meta?.timestamp)}</Fact>
          <Fact label="Updated">{dateTime(summary?.updatedAt)}</Fact>
          <Fact label="Size">{summary ? bytes(Math.max(summary.sizeBytes, loaded?.offset ?? 0)) : null}</Fact>
          <Fact label="Tokens" title={totals ? `${integer(totals.totalTokens)} tokens` : ''}>
            {totals ? compact(totals.totalTokens) : null}
          </Fact>
          <Fact label="Context" title="the largest input of one response, of the model's context window">
            {usage?.contextWindow ? `${compact(usage.peakInputTokens ?? 0)} of ${compact(usage.contextWindow)}` : null}
          </Fact>
          <Fact label="Cost">{usage ? <Cost costUSD={usage.totals.costUSD} unpriced={usage.unpricedModels} /> : null}</Fact>
          {summary?.archived && <Fact label="Archived">yes</Fact>}
          {summary?.forkedFromId && (
            <div class="fact">
              <dt>{agent === 'claude' ? 'Sub-agent of' : 'Forked from'}</dt>
              <dd>
                <a href={href.session(summary.forkedFromId, undefined, summary.machine)}>{summary.forkedFromId.slice(0, 8)}</a>
              </dd>
            </div>
          )}
        </dl>
        {serverId !== null && (
          <div class="actions">
            {resume !== null && (
              <>
                <code class="resume">{resume}</code>
                <CopyButton text={resume} label={`Copy the ${agent} resume command`} />
              </>
            )}
            <button type="button" class="btn" onClick={() => onDownload()}>
              Download NDJSON
            </button>
            <button type="button" class="btn" onClick={() => onDownload('markdown')}>
              Export Markdown
            </button>
            <button type="button" class="btn" onClick={() => onDownload('html')}>
              Export HTML
            </button>
            <CopyButton
              text={`${location.origin}${location.pathname}${href.session(serverId, undefined, summary?.machine)}`}
              label="Copy a link to this session"
              caption="Copy link"
            />
            <LiveState follow={follow} gone={gone} />
          </div>
        )}
      </header>
      {onMachines !== null ? (
        <ChooseMachine id={id} machines={onMachines} line={focusLine} />
      ) : (
        <ErrorBanner error={error} what="Could not load this session:" />
      )}
      <ErrorBanner error={downloadError} what="Download failed:" />
      {loaded === null && error === null && (
        <p class="loading muted" aria-live="polite">
          Reading… {received > 0 ? bytes(received) : ''}
        </p>
      )}
      {loaded !== null && loaded.invalidLines > 0 && (
        <p class="banner">{loaded.invalidLines} line(s) of this file are not JSON and are not shown.</p>
      )}
      <Transcript
        builder={builder}
        version={version}
        loaded={loaded !== null}
        focusLine={focusLine}
        stickToBottom={follow === 'live'}
        turnUsage={turnUsage}
      />
      {loaded !== null && builder.entries.length === 0 && <p class="empty">This session has no messages yet.</p>}
    </section>
  );
}
