import type { SessionSummary } from '../api/types.js';
import { age, bytes, compact, dateTime, projectName, usd } from '../format.js';
import { href } from '../router.js';

/** Cost when the server counts usage: the amount, "n/a" for an unpriced model, nothing without usage. */
export function CostCell({ usage }: { usage: SessionSummary['usage'] }) {
  if (usage === undefined || usage === null) return <span class="c-cost" />;
  const tokens = `${compact(usage.totalTokens)} tokens`;
  if (usage.costUSD === null) {
    return (
      <span class="c-cost muted" title={`${tokens}; no price for ${usage.models.join(', ')}`}>
        n/a
      </span>
    );
  }
  return (
    <span class="c-cost" title={tokens}>
      {usd(usage.costUSD)}
    </span>
  );
}

export function SessionRow({ item, sort, now }: { item: SessionSummary; sort: string; now: number }) {
  const when = sort === 'updated' ? item.updatedAt : item.createdAt;
  const title = item.title ?? '(no message yet)';
  return (
    <li class="row">
      <a class="row-link" href={href.session(item.id)} data-nav>
        <span class="c-title">
          {item.name !== null && <span class="name">{item.name}</span>}
          <span class={item.name !== null ? 'title muted' : 'title'}>{title}</span>
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
        <CostCell usage={item.usage} />
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
