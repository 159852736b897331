import type { RouterInputs } from '@aihub/client';
import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { formatNumber, formatTime } from '../format.js';
import { useTRPC } from '../trpc.js';
import { Empty, ErrorNotice, FieldErrorList, Loading, Options, Pager, StageBadge } from '../ui.js';

type ListInput = NonNullable<RouterInputs['models']['list']>;
const STAGES = ['', 'staging', 'production', 'archived'] as const;
const STATUSES = ['', 'pending', 'ready', 'failed'] as const;
const SORTS = ['createdAt', 'name', 'version', 'metric'] as const;

/** The list's filters live in the URL (?q=&stage=&metric=mape<0.1…) so a view can be shared. */
function inputFromSearch(search: URLSearchParams): Omit<ListInput, 'cursor'> {
  const pick = <T extends string>(name: string, allowed: readonly T[]): T | undefined => {
    const value = search.get(name);
    return value && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
  };
  const text = (name: string) => search.get(name)?.trim() || undefined;
  const stage = pick('stage', STAGES);
  const status = pick('status', STATUSES);
  return {
    nameContains: text('q'),
    stage: stage || undefined,
    status: status || undefined,
    alias: text('alias'),
    tag: text('tag'),
    metrics: search.getAll('metric').filter((m) => m.trim() !== ''),
    sort: pick('sort', SORTS) ?? 'createdAt',
    sortMetric: text('sortMetric'),
    order: search.get('order') === 'asc' ? 'asc' : 'desc',
    limit: 25,
  };
}

export function ModelsPage() {
  const trpc = useTRPC();
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const input = inputFromSearch(search);
  const list = useInfiniteQuery(
    trpc.models.list.infiniteQueryOptions(input, {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
  );
  const [draft, setDraft] = useState(() => ({
    q: search.get('q') ?? '',
    stage: search.get('stage') ?? '',
    status: search.get('status') ?? '',
    alias: search.get('alias') ?? '',
    tag: search.get('tag') ?? '',
    metric: search.getAll('metric').join(', '),
    sort: search.get('sort') ?? 'createdAt',
    sortMetric: search.get('sortMetric') ?? '',
    order: search.get('order') ?? 'desc',
  }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [name, value] of Object.entries(draft)) {
      if (name === 'metric') {
        for (const m of value.split(',')) if (m.trim()) next.append('metric', m.trim());
      } else if (
        value.trim() &&
        !(name === 'sort' && value === 'createdAt') &&
        !(name === 'order' && value === 'desc')
      ) {
        next.set(name, value.trim());
      }
    }
    navigate(`/models${next.size ? `?${next}` : ''}`);
  };
  const field = (name: keyof typeof draft) => ({
    id: `filter-${name}`,
    value: draft[name],
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [name]: e.target.value }),
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models</h1>
      <form className="filters card" onSubmit={apply} aria-label="Filter model versions">
        <div>
          <label htmlFor="filter-q">Name contains</label>
          <input {...field('q')} />
        </div>
        <div>
          <label htmlFor="filter-stage">Stage</label>
          <select {...field('stage')}>
            <Options values={STAGES} />
          </select>
        </div>
        <div>
          <label htmlFor="filter-status">Status</label>
          <select {...field('status')}>
            <Options values={STATUSES} />
          </select>
        </div>
        <div>
          <label htmlFor="filter-alias">Alias</label>
          <input {...field('alias')} />
        </div>
        <div>
          <label htmlFor="filter-tag">Tag (key or key=value)</label>
          <input {...field('tag')} />
        </div>
        <div className="wide">
          <label htmlFor="filter-metric">
            Metric expressions (comma-separated, e.g. mape &lt; 0.1, r2 &gt;= 0.9)
          </label>
          <input {...field('metric')} aria-describedby="metric-problems" />
        </div>
        <div>
          <label htmlFor="filter-sort">Sort by</label>
          <select {...field('sort')}>
            <Options values={SORTS} />
          </select>
        </div>
        <div>
          <label htmlFor="filter-sortMetric">Sort metric</label>
          <input {...field('sortMetric')} />
        </div>
        <div>
          <label htmlFor="filter-order">Order</label>
          <select {...field('order')}>
            <option value="desc">descending</option>
            <option value="asc">ascending</option>
          </select>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Apply
          </button>
        </div>
      </form>
      <FieldErrorList error={list.error} id="metric-problems" />
      {list.isPending ? (
        <Loading what="models" />
      ) : list.error ? (
        <ErrorNotice error={list.error} />
      ) : rows.length === 0 ? (
        <Empty>No model versions match. Register one with `aihub models register` or the API.</Empty>
      ) : (
        <>
          <table>
            <caption className="sr-only">Model versions</caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Version</th>
                <th scope="col">Stage</th>
                <th scope="col">Status</th>
                <th scope="col">Aliases</th>
                <th scope="col">Metrics</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((v) => (
                <tr key={v.id}>
                  <td>
                    <Link href={`/models/${encodeURIComponent(v.modelName)}`}>{v.modelName}</Link>
                  </td>
                  <td>v{v.version}</td>
                  <td>
                    <StageBadge stage={v.stage} />
                  </td>
                  <td>{v.status}</td>
                  <td>{v.aliases.join(', ') || '—'}</td>
                  <td className="small">
                    {Object.entries(v.metrics)
                      .slice(0, 4)
                      .map(([k, n]) => `${k}=${formatNumber(n)}`)
                      .join(' · ') || '—'}
                  </td>
                  <td className="small">
                    {formatTime(v.createdAt)} by {v.createdBy}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager list={list} shown={rows.length} />
        </>
      )}
    </section>
  );
}
