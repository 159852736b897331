import type { ModelVersion } from '@aihub/client';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import { formatBytes, formatNumber, formatTime } from '../format.js';
import { buildTimeline } from '../timeline.js';
import { useTRPC } from '../trpc.js';
import { ConfirmDialog, Empty, ErrorNotice, Loading, Pager, StageBadge, useCan } from '../ui.js';

type SortKey = 'version' | 'stage' | 'status' | 'sizeBytes' | 'createdAt' | `metric:${string}`;

function sortValue(v: ModelVersion, key: SortKey): number | string {
  if (key.startsWith('metric:')) return v.metrics[key.slice(7)] ?? Number.NaN;
  if (key === 'createdAt') return new Date(v.createdAt).getTime();
  if (key === 'sizeBytes') return v.sizeBytes ?? -1;
  return v[key as 'version' | 'stage' | 'status'];
}

export function ModelPage({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const versions = useInfiniteQuery(
    trpc.models.list.infiniteQueryOptions(
      { nameContains: name, sort: 'version', order: 'desc', limit: 100, metrics: [] },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const history = useQuery(trpc.models.history.queryOptions({ name }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.models.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.models.history.pathKey() }),
    ]);
  // nameContains is a substring match: keep this model's versions only.
  const rows = (versions.data?.pages.flatMap((p) => p.items) ?? []).filter((v) => v.modelName === name);
  const [selected, setSelected] = useState<number | null>(null);
  const shown =
    rows.find((v) => v.version === selected) ?? rows.find((v) => v.stage === 'production') ?? rows[0];

  return (
    <section aria-labelledby="model-title">
      <p className="small">
        <Link href="/models">← Models</Link>
      </p>
      <h1 id="model-title">{name}</h1>
      {versions.isPending ? (
        <Loading what="versions" />
      ) : versions.error ? (
        <ErrorNotice error={versions.error} />
      ) : rows.length === 0 ? (
        <Empty>No versions of {name} (it may have been deleted).</Empty>
      ) : (
        <>
          <VersionsTable
            rows={rows}
            onSelect={setSelected}
            selected={shown?.version ?? null}
            onChanged={refresh}
          />
          <Pager list={versions} shown={rows.length} />
          {shown && <Lineage version={shown} />}
        </>
      )}
      <h2 id="timeline-title">Timeline</h2>
      {history.isPending ? (
        <Loading what="history" />
      ) : history.error ? (
        <ErrorNotice error={history.error} />
      ) : (
        <Timeline events={history.data} />
      )}
    </section>
  );
}

function VersionsTable(props: {
  rows: ModelVersion[];
  selected: number | null;
  onSelect: (version: number) => void;
  onChanged: () => Promise<unknown>;
}) {
  const metricNames = useMemo(
    () => [...new Set(props.rows.flatMap((v) => Object.keys(v.metrics)))].sort().slice(0, 8),
    [props.rows],
  );
  const [sort, setSort] = useState<{ key: SortKey; asc: boolean }>({ key: 'version', asc: false });
  const sorted = [...props.rows].sort((a, b) => {
    const x = sortValue(a, sort.key);
    const y = sortValue(b, sort.key);
    // Versions without the metric go last whichever way the column is sorted.
    if (typeof x === 'number' && Number.isNaN(x)) return 1;
    if (typeof y === 'number' && Number.isNaN(y)) return -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return sort.asc ? order : -order;
  });
  const header = (key: SortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" aria-sort={active ? (sort.asc ? 'ascending' : 'descending') : 'none'}>
        <button
          type="button"
          className="sort"
          onClick={() => setSort({ key, asc: active ? !sort.asc : true })}
        >
          {label}
          {active ? (sort.asc ? ' ▲' : ' ▼') : ''}
        </button>
      </th>
    );
  };
  return (
    <table data-testid="versions">
      <caption className="sr-only">Versions (select a column header to sort)</caption>
      <thead>
        <tr>
          {header('version', 'Version')}
          {header('status', 'Status')}
          {header('stage', 'Stage')}
          <th scope="col">Aliases</th>
          {metricNames.map((m) => header(`metric:${m}`, m))}
          {header('sizeBytes', 'Size')}
          <th scope="col">sha256</th>
          {header('createdAt', 'Registered')}
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((v) => (
          <tr
            key={v.id}
            className={v.version === props.selected ? 'selected' : undefined}
            data-version={v.version}
          >
            <td>
              <button type="button" className="link" onClick={() => props.onSelect(v.version)}>
                v{v.version}
              </button>
            </td>
            <td>{v.status}</td>
            <td>
              <StageBadge stage={v.stage} />
            </td>
            <td>
              <Aliases version={v} onChanged={props.onChanged} />
            </td>
            {metricNames.map((m) => (
              <td key={m} className="num">
                {formatNumber(v.metrics[m])}
              </td>
            ))}
            <td className="num">{formatBytes(v.sizeBytes)}</td>
            <td>
              <code title={v.sha256 ?? undefined}>{v.sha256 ? `${v.sha256.slice(0, 12)}…` : '—'}</code>
            </td>
            <td className="small">
              {formatTime(v.createdAt)}
              <br />
              by {v.createdBy}
            </td>
            <td>
              <VersionActions version={v} all={props.rows} onChanged={props.onChanged} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Aliases({ version, onChanged }: { version: ModelVersion; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const canWrite = useCan('writer');
  const remove = useMutation(trpc.models.removeAlias.mutationOptions({ onSuccess: onChanged }));
  return (
    <>
      {version.aliases.length === 0 && '—'}
      {version.aliases.map((alias) => (
        <span key={alias} className="chip">
          {alias}
          {canWrite && (
            <button
              type="button"
              aria-label={`Remove alias ${alias} from v${version.version}`}
              onClick={() => remove.mutate({ name: version.modelName, alias })}
              disabled={remove.isPending}
            >
              ×
            </button>
          )}
        </span>
      ))}
      <ErrorNotice error={remove.error} />
    </>
  );
}

type Dialog = 'promote' | 'alias' | 'delete' | null;

function VersionActions(props: {
  version: ModelVersion;
  all: ModelVersion[];
  onChanged: () => Promise<unknown>;
}) {
  const { version: v } = props;
  const trpc = useTRPC();
  const canWrite = useCan('writer');
  const isAdmin = useCan('admin');
  const [dialog, setDialog] = useState<Dialog>(null);
  const [to, setTo] = useState<'production' | 'staging' | 'archived'>('production');
  const [demoteTo, setDemoteTo] = useState<'archived' | 'staging'>('archived');
  const [comment, setComment] = useState('');
  const [alias, setAlias] = useState('');
  const done = async () => {
    await props.onChanged();
    setDialog(null);
    setComment('');
    setAlias('');
  };
  const promote = useMutation(trpc.models.promote.mutationOptions({ onSuccess: done }));
  const setAliasM = useMutation(trpc.models.setAlias.mutationOptions({ onSuccess: done }));
  const del = useMutation(trpc.models.delete.mutationOptions({ onSuccess: done }));
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const queryClient = useQueryClient();
  const startDownload = async () => {
    setDownloadError(null);
    try {
      const answer = await queryClient.fetchQuery(trpc.models.download.queryOptions({ id: v.id }));
      // A presigned URL of the object store: the browser downloads it directly.
      window.location.assign(answer.url);
    } catch (error) {
      setDownloadError(error);
    }
  };
  const production = props.all.find((o) => o.stage === 'production' && o.id !== v.id);
  const close = () => {
    setDialog(null);
    promote.reset();
    setAliasM.reset();
    del.reset();
  };
  const label = `${v.modelName} v${v.version}`;
  return (
    <div className="row-actions">
      {v.status === 'ready' && (
        <button type="button" onClick={startDownload} aria-label={`Download ${label}`}>
          Download
        </button>
      )}
      {canWrite && v.status === 'ready' && (
        <button type="button" onClick={() => setDialog('promote')} aria-label={`Promote ${label}`}>
          Promote
        </button>
      )}
      {canWrite && v.status === 'ready' && (
        <button type="button" onClick={() => setDialog('alias')} aria-label={`Set an alias on ${label}`}>
          Alias
        </button>
      )}
      {isAdmin || (canWrite && v.stage !== 'production') ? (
        <button
          type="button"
          className="danger"
          onClick={() => setDialog('delete')}
          aria-label={`Delete ${label}`}
        >
          Delete
        </button>
      ) : null}
      <ErrorNotice error={downloadError} />

      <ConfirmDialog
        open={dialog === 'promote'}
        title={`Promote ${label}`}
        confirmLabel={`Move v${v.version} to ${to}`}
        busy={promote.isPending}
        onCancel={close}
        onConfirm={() => promote.mutate({ id: v.id, to, demoteTo, comment: comment.trim() || undefined })}
      >
        <label htmlFor={`promote-to-${v.id}`}>Move to stage</label>
        <select id={`promote-to-${v.id}`} value={to} onChange={(e) => setTo(e.target.value as typeof to)}>
          <option value="production">production</option>
          <option value="staging">staging</option>
          <option value="archived">archived</option>
        </select>
        {to === 'production' && production && (
          <>
            <p data-testid="promote-consequence">
              <strong>
                v{production.version} is in production now and will be moved to {demoteTo}.
              </strong>
            </p>
            <label htmlFor={`demote-to-${v.id}`}>Move v{production.version} to</label>
            <select
              id={`demote-to-${v.id}`}
              value={demoteTo}
              onChange={(e) => setDemoteTo(e.target.value as typeof demoteTo)}
            >
              <option value="archived">archived</option>
              <option value="staging">staging</option>
            </select>
          </>
        )}
        {to === 'production' && !production && (
          <p data-testid="promote-consequence">No version is in production now; nothing will be archived.</p>
        )}
        <label htmlFor={`promote-comment-${v.id}`}>Comment (recorded in the audit trail)</label>
        <textarea
          id={`promote-comment-${v.id}`}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
        <ErrorNotice error={promote.error} />
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'alias'}
        title={`Set an alias on ${label}`}
        confirmLabel="Set alias"
        busy={setAliasM.isPending}
        onCancel={close}
        onConfirm={() =>
          setAliasM.mutate({ id: v.id, alias: alias.trim(), comment: comment.trim() || undefined })
        }
      >
        <label htmlFor={`alias-${v.id}`}>Alias (moves it here if another version holds it)</label>
        <input id={`alias-${v.id}`} value={alias} onChange={(e) => setAlias(e.target.value)} />
        <label htmlFor={`alias-comment-${v.id}`}>Comment</label>
        <textarea id={`alias-comment-${v.id}`} value={comment} onChange={(e) => setComment(e.target.value)} />
        <ErrorNotice error={setAliasM.error} />
      </ConfirmDialog>

      <ConfirmDialog
        open={dialog === 'delete'}
        title={`Delete ${label}`}
        confirmLabel={`Delete v${v.version}`}
        danger
        busy={del.isPending}
        onCancel={close}
        onConfirm={() =>
          del.mutate({ id: v.id, force: v.stage === 'production', comment: comment.trim() || undefined })
        }
      >
        <p>
          The artifact and the version's record are removed; the audit trail keeps a tombstone.
          {v.stage === 'production' && (
            <strong>
              {' '}
              v{v.version} is in production: clients reading the production stage will find none.
            </strong>
          )}
        </p>
        <label htmlFor={`delete-comment-${v.id}`}>Comment</label>
        <textarea
          id={`delete-comment-${v.id}`}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
        />
        <ErrorNotice error={del.error} />
      </ConfirmDialog>
    </div>
  );
}

function Lineage({ version: v }: { version: ModelVersion }) {
  const l = v.lineage;
  return (
    <section aria-labelledby="lineage-title" className="card">
      <h2 id="lineage-title">Lineage of v{v.version}</h2>
      <dl className="facts">
        <dt>Feature set</dt>
        <dd>{l.featureSet ? `${l.featureSet} v${l.featureSetVersion}` : '—'}</dd>
        <dt>Target metric</dt>
        <dd>{l.targetMetric ?? '—'}</dd>
        <dt>Training export</dt>
        <dd>{l.exportId ? <Link href={`/exports?id=${l.exportId}`}>{l.exportId}</Link> : '—'}</dd>
        <dt>Training window</dt>
        <dd>{l.trainingFrom ? `${formatTime(l.trainingFrom)} – ${formatTime(l.trainingTo)}` : '—'}</dd>
        <dt>Format</dt>
        <dd>{v.format}</dd>
        <dt>sha256</dt>
        <dd>
          <code>{v.sha256 ?? '—'}</code>
        </dd>
        {v.error && (
          <>
            <dt>Error</dt>
            <dd>{v.error}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

function Timeline({ events }: { events: Parameters<typeof buildTimeline>[0] }) {
  const holdings = buildTimeline(events);
  if (events.length === 0) return <Empty>No audit events yet.</Empty>;
  return (
    <>
      {holdings.length === 0 ? (
        <Empty>No version has held production or an alias yet.</Empty>
      ) : (
        <table data-testid="timeline">
          <caption className="sr-only">Which version held production or an alias, from when to when</caption>
          <thead>
            <tr>
              <th scope="col">Held</th>
              <th scope="col">Version</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Set by</th>
              <th scope="col">Ended</th>
            </tr>
          </thead>
          <tbody>
            {holdings.map((h) => (
              <tr
                key={`${h.holder}-${h.version}-${h.from.getTime()}`}
                data-holder={h.holder}
                data-version={h.version}
              >
                <td>
                  {h.kind === 'stage' ? (
                    <StageBadge stage={h.holder} />
                  ) : (
                    <span className="chip">@{h.holder}</span>
                  )}
                </td>
                <td>v{h.version}</td>
                <td className="small">{formatTime(h.from)}</td>
                <td className="small" data-testid="held-until">
                  {h.to ? formatTime(h.to) : <strong>now</strong>}
                </td>
                <td className="small">
                  {h.setBy}
                  {h.comment ? ` — “${h.comment}”` : ''}
                </td>
                <td className="small" data-testid="ended-as">
                  {h.endedAs ? `${h.endedAs} by ${h.endedBy}` : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <details>
        <summary>All {events.length} audit events</summary>
        <ol className="events">
          {events.map((e) => (
            <li key={e.id}>
              {formatTime(e.at)} · {e.action}
              {e.version !== null ? ` v${e.version}` : ''}
              {e.from || e.to ? ` (${e.from ?? '—'} → ${e.to ?? '—'})` : ''} by {e.actor}
              {e.comment ? ` — “${e.comment}”` : ''}
            </li>
          ))}
        </ol>
      </details>
    </>
  );
}
