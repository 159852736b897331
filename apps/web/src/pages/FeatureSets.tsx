import type { RouterOutputs } from '@aihub/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { featureMeaning } from '../catalog.js';
import { formatTime } from '../format.js';
import { useTRPC } from '../trpc.js';
import { Empty, ErrorNotice, fieldErrorsOf, Loading, useCan } from '../ui.js';

type FeatureSet = RouterOutputs['features']['sets'][number];

/** features.sets answers every set and version at once (predefined ones and the project's own): no cursor. */
export function FeatureSetsPage() {
  const trpc = useTRPC();
  const sets = useQuery(trpc.features.sets.queryOptions());
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section aria-labelledby="sets-title">
      <h1 id="sets-title">Feature sets</h1>
      <DefineVersion />
      {sets.isPending ? (
        <Loading what="feature sets" />
      ) : sets.error ? (
        <ErrorNotice error={sets.error} />
      ) : sets.data.length === 0 ? (
        <Empty>No feature sets.</Empty>
      ) : (
        <table data-testid="feature-sets">
          <caption className="sr-only">Feature sets and their versions</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Kind</th>
              <th scope="col">Features</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {sets.data.map((s) => {
              const key = `${s.name}@${s.version}`;
              return (
                <SetRow
                  key={key}
                  set={s}
                  open={open === key}
                  onToggle={() => setOpen(open === key ? null : key)}
                />
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function SetRow({ set, open, onToggle }: { set: FeatureSet; open: boolean; onToggle: () => void }) {
  return (
    <tr data-set={set.name} data-version={set.version}>
      <td>{set.name}</td>
      <td>v{set.version}</td>
      <td>{set.predefined ? 'predefined' : 'user-defined'}</td>
      <td>
        <button type="button" className="link" aria-expanded={open} onClick={onToggle}>
          {set.features.length} features
        </button>
        {open && (
          <dl className="facts small">
            {set.features.map((f) => (
              <div key={f} style={{ display: 'contents' }}>
                <dt>
                  <code>{f}</code>
                </dt>
                <dd>{featureMeaning(f)}</dd>
              </div>
            ))}
          </dl>
        )}
        {set.description && set.description !== 'predefined' && (
          <div className="muted small">{set.description}</div>
        )}
      </td>
      <td className="small">{formatTime(set.createdAt)}</td>
    </tr>
  );
}

/** Creates a set or its next version; the server's validation shows beside the field it names. */
function DefineVersion() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canWrite = useCan('writer');
  const [name, setName] = useState('');
  const [features, setFeatures] = useState('');
  const [description, setDescription] = useState('');
  const define = useMutation(
    trpc.features.defineSet.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.features.sets.pathKey() }),
    }),
  );
  if (!canWrite) return null;
  const list = features
    .split(/[\s,]+/)
    .map((f) => f.trim())
    .filter(Boolean);
  const problems = fieldErrorsOf(define.error);
  // Field paths are `name`, `features`, `features.<i>` or a feature's own name (the catalog's check).
  const nameProblems = problems.name ?? [];
  const featureProblems = Object.entries(problems).filter(
    ([field]) => field !== 'name' && field !== 'description',
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    define.mutate({ name: name.trim(), features: list, description: description.trim() || undefined });
  };
  return (
    <form className="card" onSubmit={submit} aria-label="Define a feature set version">
      <h2>Define a feature set (or its next version)</h2>
      <label htmlFor="set-name">Name</label>
      <input
        id="set-name"
        value={name}
        onChange={(e) => setName(e.target.value)}
        aria-invalid={nameProblems.length > 0}
        aria-describedby="set-name-problems"
      />
      <p id="set-name-problems" className="field-errors small">
        {nameProblems.join('; ')}
      </p>
      <label htmlFor="set-features">Features (comma- or space-separated)</label>
      <textarea
        id="set-features"
        value={features}
        onChange={(e) => setFeatures(e.target.value)}
        aria-invalid={featureProblems.length > 0}
        aria-describedby="set-features-problems"
      />
      <ul id="set-features-problems" className="field-errors small" data-testid="feature-problems">
        {featureProblems.map(([field, reasons]) => (
          <li key={field}>
            {/^features\.(\d+)$/.test(field) ? `${list[Number(field.slice(9))] ?? field}` : field}:{' '}
            {reasons.join('; ')}
          </li>
        ))}
      </ul>
      {list.length > 0 && (
        <ul className="small muted">
          {list.map((f) => (
            <li key={f}>
              <code>{f}</code>: {featureMeaning(f)}
            </li>
          ))}
        </ul>
      )}
      <label htmlFor="set-description">Description</label>
      <input id="set-description" value={description} onChange={(e) => setDescription(e.target.value)} />
      <div className="actions">
        <button type="submit" className="primary" disabled={define.isPending}>
          Define
        </button>
      </div>
      {define.error && <ErrorNotice error={define.error} />}
      {define.data && (
        <p className="notice ok" role="status">
          {define.data.featureSet.name} v{define.data.featureSet.version}{' '}
          {define.data.created ? 'defined.' : 'already has exactly these features: no new version.'}
        </p>
      )}
    </form>
  );
}
