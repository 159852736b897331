import type { FeatureExport } from '@aihub/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { formatBytes, formatTime } from '../format.js';
import { useTRPC } from '../trpc.js';
import { ConfirmDialog, Empty, ErrorNotice, FieldErrorList, Loading, Options, Pager, useCan } from '../ui.js';

const STATUSES = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
type Status = Exclude<(typeof STATUSES)[number], ''>;
const ACTIVE = new Set(['queued', 'running']);
/** How often the list is read again while an export is queued or running. */
const LIVE_REFRESH_MS = 1000;

function percent(e: FeatureExport): number | null {
  if (e.status === 'succeeded') return 100;
  if (!e.totalRows) return null;
  return Math.min(100, Math.floor((e.rowsWritten / e.totalRows) * 100));
}

export function ExportsPage() {
  const trpc = useTRPC();
  const search = new URLSearchParams(useSearch());
  const [, navigate] = useLocation();
  const statusParam = search.get('status') ?? '';
  const status =
    (STATUSES as readonly string[]).includes(statusParam) && statusParam
      ? (statusParam as Status)
      : undefined;
  const featureSet = search.get('featureSet')?.trim() || undefined;
  const list = useInfiniteQuery({
    ...trpc.features.exports.infiniteQueryOptions(
      { status, featureSet, limit: 25 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
    // Live progress: read again every second while anything shown is still queued or running.
    refetchInterval: (query) =>
      query.state.data?.pages.some((p) => p.items.some((e) => ACTIVE.has(e.status)))
        ? LIVE_REFRESH_MS
        : false,
  });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    navigate(`/exports${next.size ? `?${next}` : ''}`);
  };
  const focused = search.get('id');
  return (
    <section aria-labelledby="exports-title">
      <h1 id="exports-title">Exports</h1>
      <NewExport />
      <fieldset className="filters card">
        <legend className="sr-only">Filter exports</legend>
        <div>
          <label htmlFor="exports-status">Status</label>
          <select
            id="exports-status"
            value={statusParam}
            onChange={(e) => setFilter('status', e.target.value)}
          >
            <Options values={STATUSES} />
          </select>
        </div>
        <div>
          <label htmlFor="exports-set">Feature set</label>
          <input
            id="exports-set"
            defaultValue={featureSet ?? ''}
            onBlur={(e) => setFilter('featureSet', e.target.value.trim())}
            onKeyDown={(e) => {
              if (e.key === 'Enter') setFilter('featureSet', e.currentTarget.value.trim());
            }}
          />
        </div>
      </fieldset>
      {focused && <ExportDetail id={focused} />}
      {list.isPending ? (
        <Loading what="exports" />
      ) : list.error ? (
        <ErrorNotice error={list.error} />
      ) : rows.length === 0 ? (
        <Empty>No exports{status || featureSet ? ' match these filters' : ' yet'}.</Empty>
      ) : (
        <>
          <table data-testid="exports">
            <caption className="sr-only">Training-set exports, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Feature set</th>
                <th scope="col">Metric</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Size</th>
                <th scope="col">Parameters</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <ExportRow key={e.id} e={e} />
              ))}
            </tbody>
          </table>
          <Pager list={list} shown={rows.length} />
        </>
      )}
    </section>
  );
}

function ExportRow({ e }: { e: FeatureExport }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCan('writer');
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation(
    trpc.features.cancelExport.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        await queryClient.invalidateQueries({ queryKey: trpc.features.exports.pathKey() });
      },
    }),
  );
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const download = async () => {
    setDownloadError(null);
    try {
      const found = await queryClient.fetchQuery(trpc.features.exportGet.queryOptions({ id: e.id }));
      if (found.downloadUrl) window.location.assign(found.downloadUrl);
    } catch (error) {
      setDownloadError(error);
    }
  };
  const pct = percent(e);
  const source = e.params.source;
  return (
    <tr data-export={e.id} data-status={e.status}>
      <td className="small">
        {formatTime(e.createdAt)}
        <br />
        by {e.createdBy}
      </td>
      <td>
        {e.featureSet} v{e.featureSetVersion}
      </td>
      <td>{e.metric}</td>
      <td>
        {e.status}
        {e.error && <div className="small field-errors">{e.error}</div>}
        {e.warnings.map((w) => (
          <div key={w} className="small muted">
            {w}
          </div>
        ))}
      </td>
      <td>
        <progress max={100} value={pct ?? undefined} aria-label={`Progress of export ${e.id}`} />
        <div className="small" data-testid="progress">
          {e.rowsWritten.toLocaleString('en')} /{' '}
          {e.totalRows === null ? '?' : e.totalRows.toLocaleString('en')} rows
          {pct !== null ? ` (${pct} %)` : ''}
        </div>
      </td>
      <td className="num">{formatBytes(e.bytes)}</td>
      <td className="small">
        {source.kind === 'range'
          ? `${source.resolvedEntities} entities, ${formatTime(source.start)} – ${formatTime(source.end)}`
          : `spine of ${source.rows} rows`}
        {e.params.includeLabel ? ', with label' : ''}
      </td>
      <td>
        <div className="row-actions">
          {e.status === 'succeeded' && (
            <button type="button" onClick={download} aria-label={`Download export ${e.id}`}>
              Download
            </button>
          )}
          {canWrite && ACTIVE.has(e.status) && (
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              Cancel
            </button>
          )}
        </div>
        <ErrorNotice error={downloadError} />
        <ConfirmDialog
          open={confirming}
          title="Cancel this export?"
          confirmLabel="Cancel the export"
          danger
          busy={cancel.isPending}
          onCancel={() => setConfirming(false)}
          onConfirm={() => cancel.mutate({ id: e.id })}
        >
          <p>
            {e.featureSet} v{e.featureSetVersion}, {e.rowsWritten} of {e.totalRows ?? '?'} rows written. What
            was uploaded is removed.
          </p>
          <ErrorNotice error={cancel.error} />
        </ConfirmDialog>
      </td>
    </tr>
  );
}

function ExportDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const found = useQuery(trpc.features.exportGet.queryOptions({ id }));
  if (found.isPending) return <Loading what="the export" />;
  if (found.error) return <ErrorNotice error={found.error} />;
  const e = found.data;
  return (
    <div className="card" data-testid="export-detail">
      <h2>Export {e.id}</h2>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{e.status}</dd>
        <dt>Feature set</dt>
        <dd>
          {e.featureSet} v{e.featureSetVersion} ({e.params.features.join(', ')})
        </dd>
        <dt>Rows</dt>
        <dd>
          {e.rowsWritten} / {e.totalRows ?? '?'}
        </dd>
        <dt>sha256</dt>
        <dd>
          <code>{e.sha256 ?? '—'}</code>
        </dd>
        <dt>File</dt>
        <dd>
          {e.downloadUrl ? (
            <a href={e.downloadUrl}>download (link valid until {formatTime(e.expiresAt)})</a>
          ) : (
            '—'
          )}
        </dd>
      </dl>
    </div>
  );
}

/** Starts a range export (entities × whole hours); a spine is for the API and CLI. */
function NewExport() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCan('writer');
  const [form, setForm] = useState({
    featureSet: 'forecast_basic',
    metric: '',
    start: '',
    end: '',
    entityIds: '',
  });
  const start = useMutation(
    trpc.features.export.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.features.exports.pathKey() }),
    }),
  );
  if (!canWrite) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ids = form.entityIds
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    start.mutate({
      featureSet: form.featureSet.trim(),
      metric: form.metric.trim(),
      // datetime-local has no zone: the console means UTC, as it shows every time.
      range: {
        start: form.start ? `${form.start}:00Z` : '',
        end: form.end ? `${form.end}:00Z` : '',
        ...(ids.length ? { entityIds: ids } : {}),
      },
    });
  };
  const input = (name: keyof typeof form, label: string, type = 'text') => (
    <div>
      <label htmlFor={`new-export-${name}`}>{label}</label>
      <input
        id={`new-export-${name}`}
        type={type}
        value={form[name]}
        onChange={(e) => setForm({ ...form, [name]: e.target.value })}
      />
    </div>
  );
  return (
    <details className="card">
      <summary>New export</summary>
      <form onSubmit={submit} className="filters" aria-label="New export">
        {input('featureSet', 'Feature set')}
        {input('metric', 'Metric')}
        {input('start', 'Start (UTC)', 'datetime-local')}
        {input('end', 'End (UTC)', 'datetime-local')}
        {input('entityIds', 'Entity ids (comma-separated; empty: all)')}
        <div className="actions">
          <button type="submit" className="primary" disabled={start.isPending}>
            Start export
          </button>
        </div>
      </form>
      <FieldErrorList error={start.error} />
      <ErrorNotice error={start.error} />
      {start.data && (
        <p className="notice ok" role="status">
          Export {start.data.id} queued: {start.data.totalRows ?? '?'} rows.
        </p>
      )}
    </details>
  );
}
