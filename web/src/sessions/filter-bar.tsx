import type { InputHTMLAttributes } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { projectName } from '../format.js';
import { machineOptions } from '../ui/machine.js';
import { Select } from '../ui/select.js';
import { FILTER_DEFAULTS, isFiltered, SOURCES, type Filters } from './filters.js';

interface Props {
  value: Filters;
  onChange: (next: Filters) => void;
  projects: string[];
  providers: string[];
  /** A team server's machines (null over one home): the machine filter shows with two or more. */
  machines: readonly string[] | null;
}

const SOURCE_OPTIONS: [string, string][] = [['', 'any'], ...SOURCES.map((s): [string, string] => [s, s])];
const ARCHIVED_OPTIONS: [string, string][] = [
  ['false', 'hide'],
  ['true', 'only'],
  ['all', 'include'],
];
const SORT_OPTIONS: [string, string][] = [
  ['created', 'created'],
  ['updated', 'updated'],
];
const ORDER_OPTIONS: [string, string][] = [
  ['desc', 'newest first'],
  ['asc', 'oldest first'],
];

/** The list's filters. Text fields apply when committed (Enter, or leaving the field); the title filter as you type. */
export function FilterBar({ value, onChange, projects, providers, machines }: Props) {
  const [q, setQ] = useState(value.q);
  // The filters as last committed, updated at once on every commit (a new route renders later):
  // a change of one control is applied onto every other's latest value, never onto a snapshot
  // from an earlier render, and carries the title as typed so far (a pending title is not lost,
  // and cannot later undo this change).
  const latest = useRef(value);
  const shown = useRef(JSON.stringify(value));
  if (JSON.stringify(value) !== shown.current) {
    shown.current = JSON.stringify(value);
    latest.current = value;
  }
  const commit = (next: Filters) => {
    latest.current = next;
    onChange(next);
  };
  const set = (k: keyof Filters) => (event: Event) =>
    commit({ ...latest.current, q, [k]: (event.currentTarget as HTMLInputElement).value });
  useEffect(() => setQ(value.q), [value.q]);
  // The typed title applies after a pause.
  useEffect(() => {
    if (q === latest.current.q) return;
    const timer = setTimeout(() => commit({ ...latest.current, q }), 250);
    return () => clearTimeout(timer);
  }, [q]);
  // On a phone the filters other than the title fold behind one button (styles/sessions.css),
  // so that the first screen shows sessions; on a wide screen the button is not shown.
  const [open, setOpen] = useState(false);
  const clear = () => commit({ ...FILTER_DEFAULTS, sort: value.sort, order: value.order });
  const active = (Object.keys(FILTER_DEFAULTS) as (keyof Filters)[]).filter(
    (k) => k !== 'q' && k !== 'sort' && k !== 'order' && value[k] !== FILTER_DEFAULTS[k],
  ).length;
  return (
    <form class={open ? 'filters open' : 'filters'} role="search" aria-label="Filter sessions" onSubmit={(e) => e.preventDefault()}>
      <div class="field grow field-title">
        <label for="f-title">Title</label>
        <input id="f-title" type="search" value={q} placeholder="title or name contains…" onInput={(e) => setQ(e.currentTarget.value)} />
      </div>
      <button type="button" class="btn filters-toggle" aria-expanded={open} aria-controls="f-more" onClick={() => setOpen(!open)}>
        Filters{active > 0 ? ` (${active})` : ''} {open ? '▴' : '▾'}
      </button>
      <div id="f-more" class="filters-more">
        <div class="field grow">
          <label for="f-project">Project</label>
          <CommitField
            id="f-project"
            type="text"
            list="project-options"
            value={value.cwd}
            placeholder="any project (cwd)"
            onChange={set('cwd')}
          />
          <datalist id="project-options">
            {projects.map((p) => (
              <option key={p} value={p} label={projectName(p)} />
            ))}
          </datalist>
        </div>
        {machines !== null && (machines.length > 1 || value.machine !== '') && (
          <Select
            id="f-machine"
            label="Machine"
            value={value.machine}
            onChange={set('machine')}
            options={machineOptions(machines, value.machine, 'any')}
          />
        )}
        <Select id="f-source" label="Source" value={value.source} onChange={set('source')} options={SOURCE_OPTIONS} />
        <div class="field">
          <label for="f-provider">Provider</label>
          <CommitField
            id="f-provider"
            type="text"
            list="provider-options"
            value={value.provider}
            placeholder="any"
            size={8}
            onChange={set('provider')}
          />
          <datalist id="provider-options">
            {providers.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
        </div>
        <div class="field">
          <label for="f-from">From</label>
          <input id="f-from" type="date" value={value.since} onChange={set('since')} />
        </div>
        <div class="field">
          <label for="f-to">To</label>
          <input id="f-to" type="date" value={value.until} onChange={set('until')} />
        </div>
        <Select id="f-archived" label="Archived" value={value.archived} onChange={set('archived')} options={ARCHIVED_OPTIONS} />
        <Select id="f-sort" label="Sort" value={value.sort} onChange={set('sort')} options={SORT_OPTIONS} />
        <Select id="f-order" label="Order" value={value.order} onChange={set('order')} options={ORDER_OPTIONS} />
        {isFiltered(value) && (
          <button type="button" class="btn btn-quiet" onClick={clear}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}

/**
 * A text field that applies when committed (Enter, or leaving it), keeping what is typed until
 * then: a controlled input shows its `value` again at every render, and the bar renders when the
 * title (applied after a pause) or any other filter changes, which wiped a project being typed.
 */
function CommitField(props: InputHTMLAttributes<HTMLInputElement> & { value: string }) {
  const [draft, setDraft] = useState(props.value);
  useEffect(() => setDraft(props.value), [props.value]);
  return <input {...props} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />;
}
