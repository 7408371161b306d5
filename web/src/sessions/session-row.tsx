import type { SessionSummary } from '../api/types.js';
import { age, bytes, dateTime, integer, projectName } from '../format.js';
import { href } from '../router.js';
import { AgentBadge } from '../ui/agent-badge.js';
import { Cost } from '../ui/cost.js';
import { MachineBadge } from '../ui/machine.js';

/**
 * The session's cost from `usage` on the list item (docs/usage.md): "—" while the server has not
 * counted it yet (null: not indexed; absent: an older server), never a made-up $0. `unpriced`
 * is every model the server has no price for (GET /usage): the row's own models are checked
 * against it, since a list item's usage has no cost per model.
 */
export function CostCell({ usage, unpriced }: { usage: SessionSummary['usage']; unpriced: ReadonlySet<string> }) {
  if (usage === undefined || usage === null) {
    return (
      <span class="c-cost muted" title="not counted yet">
        —
      </span>
    );
  }
  const detail = `${integer(usage.totalTokens)} tokens`;
  const without = usage.costUSD === null ? usage.models : usage.models.filter((m) => unpriced.has(m));
  return <Cost class="c-cost" costUSD={usage.costUSD} unpriced={without} detail={detail} />;
}

interface RowProps {
  item: SessionSummary;
  sort: string;
  now: number;
  unpriced: ReadonlySet<string>;
}

export function SessionRow({ item, sort, now, unpriced }: RowProps) {
  const when = sort === 'updated' ? item.updatedAt : item.createdAt;
  const title = item.title ?? '(no message yet)';
  return (
    <li class="row">
      <a class="row-link" href={href.session(item.id, undefined, item.machine)} data-nav>
        <span class="c-title">
          {item.name !== null && <span class="name">{item.name}</span>}
          <span class={item.name !== null ? 'title muted' : 'title'}>{title}</span>
          <AgentBadge agent={item.agent} />
          <MachineBadge machine={item.machine} />
          {item.archived && <span class="badge">archived</span>}
        </span>
        <span class="c-project" title={item.cwd ?? ''}>
          {projectName(item.cwd)}
        </span>
        <span class="c-branch" title={item.git?.branch ?? ''}>
          {item.git?.branch ?? ''}
        </span>
        <span class="c-source">{item.source ?? ''}</span>
        <span class="c-age" title={`${sort === 'updated' ? 'updated' : 'created'} ${dateTime(when)}`}>
          {age(when, now)}
        </span>
        <span class="c-size">{bytes(item.sizeBytes)}</span>
        <CostCell usage={item.usage} unpriced={unpriced} />
      </a>
    </li>
  );
}

export function ListHeader({ sort }: { sort: string }) {
  return (
    <div class="row row-head" aria-hidden="true">
      <span class="c-title">Session</span>
      <span class="c-project">Project</span>
      <span class="c-branch">Branch</span>
      <span class="c-source">Source</span>
      <span class="c-age">{sort === 'updated' ? 'Updated' : 'Created'}</span>
      <span class="c-size">Size</span>
      <span class="c-cost">Cost</span>
    </div>
  );
}
