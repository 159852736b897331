import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import { formatAge, formatNumber, formatTime } from '../format.js';
import { useTRPC } from '../trpc.js';
import { Empty, ErrorNotice, Loading } from '../ui.js';

const HOUR = 3_600_000;
const CHART_HOURS = 48;

/**
 * How fresh the served features are: every materialization's last run, hour, entity count, error
 * and staleness; the aggregate refresh backlog; and a chart of one entity's recent hourly means.
 * materializations and aggregates.status answer everything at once (no cursor).
 */
export function FreshnessPage() {
  const trpc = useTRPC();
  const materializations = useQuery({
    ...trpc.features.materializations.queryOptions(),
    refetchInterval: 30_000,
  });
  const backlog = useQuery({ ...trpc.aggregates.status.queryOptions(), refetchInterval: 30_000 });
  const now = Date.now();
  const currentHour = Math.floor(now / HOUR) * HOUR;
  return (
    <section aria-labelledby="freshness-title">
      <h1 id="freshness-title">Freshness</h1>
      <div className="card" data-testid="backlog">
        <h2>Aggregate refresh backlog</h2>
        {backlog.isPending ? (
          <Loading what="the backlog" />
        ) : backlog.error ? (
          <ErrorNotice error={backlog.error} />
        ) : (
          <p>
            <strong>{backlog.data.pendingBuckets}</strong> changed range
            {backlog.data.pendingBuckets === 1 ? '' : 's'} waiting for the next refresh{' '}
            {backlog.data.pendingBuckets === 0 ? '(aggregates are up to date)' : ''}
          </p>
        )}
      </div>
      <h2>Materializations</h2>
      {materializations.isPending ? (
        <Loading what="materializations" />
      ) : materializations.error ? (
        <ErrorNotice error={materializations.error} />
      ) : materializations.data.length === 0 ? (
        <Empty>Nothing is materialized for online serving (features.materialize registers a set).</Empty>
      ) : (
        <table data-testid="materializations">
          <caption className="sr-only">Materializations</caption>
          <thead>
            <tr>
              <th scope="col">Feature set</th>
              <th scope="col">Metric</th>
              <th scope="col">Enabled</th>
              <th scope="col">Last run</th>
              <th scope="col">Hour served</th>
              <th scope="col">Stale by</th>
              <th scope="col">Entities</th>
              <th scope="col">Error</th>
            </tr>
          </thead>
          <tbody>
            {materializations.data.map((m) => {
              const behind = m.lastAsOf
                ? Math.round((currentHour - new Date(m.lastAsOf).getTime()) / HOUR)
                : null;
              return (
                <tr key={`${m.featureSet}@${m.version}/${m.metric}`}>
                  <td>
                    {m.featureSet} v{m.version}
                  </td>
                  <td>{m.metric}</td>
                  <td>{m.enabled ? 'yes' : 'no'}</td>
                  <td className="small">
                    {formatTime(m.lastRunAt)}
                    <br />
                    {formatAge(m.lastRunAt, now)}
                  </td>
                  <td className="small">{formatTime(m.lastAsOf)}</td>
                  <td>{behind === null ? 'never run' : behind <= 0 ? 'current hour' : `${behind} h`}</td>
                  <td className="num">{m.lastEntities ?? '—'}</td>
                  <td className="small field-errors">{m.lastError ?? ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <HourlyMeans currentHour={currentHour} />
    </section>
  );
}

function HourlyMeans({ currentHour }: { currentHour: number }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState({ entityId: '', metric: '' });
  const [shown, setShown] = useState<{ entityId: string; metric: string } | null>(null);
  // lag_1h at H is the mean of the hour [H-1h, H) (feature-spec.md): one point per hour.
  const start = new Date(currentHour - (CHART_HOURS - 1) * HOUR);
  const end = new Date(currentHour + HOUR);
  const means = useQuery({
    ...trpc.features.offline.queryOptions({
      featureSet: 'forecast_basic',
      metric: shown?.metric ?? 'x',
      range: { entityIds: [shown?.entityId ?? 'x'], start, end },
    }),
    enabled: shown !== null,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setShown({ entityId: draft.entityId.trim(), metric: draft.metric.trim() });
  };
  const column = means.data?.columns.indexOf('lag_1h') ?? -1;
  const points = (means.data?.rows ?? []).map((r) => ({
    hour: new Date(r.asOf).getTime() - HOUR,
    mean: column >= 0 ? (r.values[column] ?? null) : null,
  }));
  return (
    <section aria-labelledby="means-title" className="card">
      <h2 id="means-title">Hourly means of an entity (last {CHART_HOURS} hours)</h2>
      <form className="filters" onSubmit={submit} aria-label="Choose an entity">
        <div>
          <label htmlFor="chart-entity">Entity id</label>
          <input
            id="chart-entity"
            value={draft.entityId}
            onChange={(e) => setDraft({ ...draft, entityId: e.target.value })}
          />
        </div>
        <div>
          <label htmlFor="chart-metric">Metric</label>
          <input
            id="chart-metric"
            value={draft.metric}
            onChange={(e) => setDraft({ ...draft, metric: e.target.value })}
          />
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={!draft.entityId.trim() || !draft.metric.trim()}>
            Show
          </button>
        </div>
      </form>
      {shown === null ? (
        <p className="muted">Choose an entity and a metric.</p>
      ) : means.isPending ? (
        <Loading what="hourly means" />
      ) : means.error ? (
        <ErrorNotice error={means.error} />
      ) : points.every((p) => p.mean === null) ? (
        <Empty>
          No readings of {shown.metric} for {shown.entityId} in the last {CHART_HOURS} hours.
        </Empty>
      ) : (
        <>
          <Chart points={points} label={`${shown.metric} of ${shown.entityId}, hourly mean`} />
          <details>
            <summary>The numbers</summary>
            <table data-testid="means">
              <caption className="sr-only">Hourly means</caption>
              <thead>
                <tr>
                  <th scope="col">Hour (UTC)</th>
                  <th scope="col">Mean</th>
                </tr>
              </thead>
              <tbody>
                {points.map((p) => (
                  <tr key={p.hour}>
                    <td>{formatTime(new Date(p.hour))}</td>
                    <td className="num">{formatNumber(p.mean)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </section>
  );
}

/** uPlot (canvas, ~50 kB unminified, no dependencies) draws the line; the table above is its text alternative. */
function Chart({ points, label }: { points: { hour: number; mean: number | null }[]; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const plot = new uPlot(
      {
        width: Math.max(320, el.clientWidth),
        height: 260,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        series: [{}, { label, stroke: '#1f5fbf', width: 2, spanGaps: false }],
        axes: [{}, { label: 'mean' }],
      },
      [points.map((p) => p.hour / 1000), points.map((p) => p.mean)],
      el,
    );
    return () => plot.destroy();
  }, [points, label]);
  return <div ref={ref} role="img" aria-label={`Chart: ${label}`} data-testid="chart" />;
}
