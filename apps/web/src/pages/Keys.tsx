import type { RouterOutputs } from '@aihub/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { formatTime } from '../format.js';
import { useTRPC } from '../trpc.js';
import { ConfirmDialog, Empty, ErrorNotice, fieldErrorsOf, Loading, useCan, useSession } from '../ui.js';

type Key = RouterOutputs['keys']['list'][number];

/**
 * The project's API keys (admins). keys.list answers every key of the project at once (a project
 * has few), so this list has no cursor.
 */
export function KeysPage() {
  const trpc = useTRPC();
  const isAdmin = useCan('admin');
  const { whoami } = useSession();
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const keys = useQuery({ ...trpc.keys.list.queryOptions({ includeRevoked }), enabled: isAdmin });
  if (!isAdmin) return <Empty>Only admins manage keys.</Empty>;
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys of {whoami.project.name}</h1>
      <CreateKey />
      <label className="inline">
        <input
          type="checkbox"
          checked={includeRevoked}
          onChange={(e) => setIncludeRevoked(e.target.checked)}
        />{' '}
        Show revoked keys
      </label>
      {keys.isPending ? (
        <Loading what="keys" />
      ) : keys.error ? (
        <ErrorNotice error={keys.error} />
      ) : keys.data.length === 0 ? (
        <Empty>No keys.</Empty>
      ) : (
        <table data-testid="keys">
          <caption className="sr-only">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Prefix</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">Revoked</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <KeyRow key={k.id} k={k} self={k.id === whoami.keyId} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function KeyRow({ k, self }: { k: Key; self: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { signOut } = useSession();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation(
    trpc.keys.revoke.mutationOptions({
      onSuccess: async () => {
        setConfirming(false);
        // The key this tab signed in with no longer works: back to the sign-in form.
        if (self) return signOut();
        await queryClient.invalidateQueries({ queryKey: trpc.keys.list.pathKey() });
      },
    }),
  );
  return (
    <tr data-key={k.name}>
      <td>
        {k.name}
        {self && <span className="muted small"> (this key)</span>}
      </td>
      <td>{k.role}</td>
      <td>
        <code>{k.prefix}</code>
      </td>
      <td className="small">{formatTime(k.createdAt)}</td>
      <td className="small">{formatTime(k.lastUsedAt)}</td>
      <td className="small">{k.revokedAt ? formatTime(k.revokedAt) : '—'}</td>
      <td>
        {!k.revokedAt && (
          <button
            type="button"
            className="danger"
            onClick={() => setConfirming(true)}
            aria-label={`Revoke ${k.name}`}
          >
            Revoke
          </button>
        )}
        <ConfirmDialog
          open={confirming}
          title={`Revoke ${k.name}?`}
          confirmLabel={`Revoke ${k.name}`}
          danger
          busy={revoke.isPending}
          onCancel={() => setConfirming(false)}
          onConfirm={() => revoke.mutate({ id: k.id })}
        >
          <p>
            Every request with this {k.role} key fails from the next one on, in every server process.
            {self && <strong> It is the key you are signed in with: you will be signed out.</strong>}
          </p>
          <ErrorNotice error={revoke.error} />
        </ConfirmDialog>
      </td>
    </tr>
  );
}

function CreateKey() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [role, setRole] = useState<'reader' | 'writer' | 'admin'>('reader');
  const [copied, setCopied] = useState<string | null>(null);
  const create = useMutation(
    trpc.keys.create.mutationOptions({
      onSuccess: async () => {
        setName('');
        setCopied(null);
        await queryClient.invalidateQueries({ queryKey: trpc.keys.list.pathKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), role });
  };
  const problems = fieldErrorsOf(create.error);
  const token = create.data?.token;
  const copy = async () => {
    if (!token) return;
    try {
      await navigator.clipboard.writeText(token);
      setCopied('Copied.');
    } catch {
      setCopied('The browser refused the clipboard: select the key and copy it.');
    }
  };
  return (
    <form className="card filters" onSubmit={submit} aria-label="Create a key">
      <div>
        <label htmlFor="key-name">Name</label>
        <input
          id="key-name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={!!problems.name}
        />
        {problems.name && <p className="field-errors small">{problems.name.join('; ')}</p>}
      </div>
      <div>
        <label htmlFor="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.target.value as typeof role)}>
          <option value="reader">reader</option>
          <option value="writer">writer</option>
          <option value="admin">admin</option>
        </select>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={create.isPending || name.trim() === ''}>
          Create key
        </button>
      </div>
      {create.error && !problems.name ? <ErrorNotice error={create.error} /> : null}
      {token && create.data && (
        <div className="notice ok wide" role="status">
          <p>
            <strong>{create.data.key.name}</strong>: copy the key now; it is not shown again.
          </p>
          <code data-testid="new-token">{token}</code>{' '}
          <button type="button" onClick={copy}>
            Copy
          </button>{' '}
          <span className="small">{copied}</span>
        </div>
      )}
    </form>
  );
}
