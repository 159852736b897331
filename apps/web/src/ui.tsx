import { isAihubError, type RouterOutputs } from '@aihub/client';
import { createContext, type ReactNode, useContext, useEffect, useRef } from 'react';

export type Whoami = RouterOutputs['auth']['whoami'];
export type Role = Whoami['role'];

const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

export interface Session {
  whoami: Whoami;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}

/** Whether the signed-in key's role is at least `role` (the server enforces the same rule). */
export function useCan(role: Role): boolean {
  return RANK[useSession().whoami.role] >= RANK[role];
}

/** The server's message and request id (so a log line can be found), or a network failure's. */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const data = isAihubError(error) ? error.data : null;
  return (
    <div role="alert" className="notice error">
      <strong>{title ?? 'The server refused this'}</strong>
      <p>{data ? message : `Could not reach the server: ${message}`}</p>
      {data && (
        <p className="muted small">
          {data.code} · HTTP {data.httpStatus}
          {data.requestId ? (
            <>
              {' '}
              · request id <code data-testid="request-id">{data.requestId}</code>
            </>
          ) : null}
        </p>
      )}
    </div>
  );
}

/** Field-level messages of a BAD_REQUEST, keyed by field path (e.g. `features.0`). */
export function fieldErrorsOf(error: unknown): Record<string, string[]> {
  if (!isAihubError(error, 'BAD_REQUEST')) return {};
  return (error.data.fieldErrors as Record<string, string[]> | null) ?? {};
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="notice empty">{children}</div>;
}

/** "Load more" under a cursor-paged list (an infinite query whose pages carry the API's nextCursor). */
export function Pager(props: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  shown: number;
}) {
  const { list } = props;
  return (
    <div className="pager">
      <span className="muted small">{props.shown} shown</span>
      {list.hasNextPage && (
        <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </div>
  );
}

/** A BAD_REQUEST's field messages as a list, one line per field. */
export function FieldErrorList({ error, id }: { error: unknown; id?: string }) {
  const problems = Object.entries(fieldErrorsOf(error));
  if (problems.length === 0) return null;
  return (
    <ul id={id} className="field-errors">
      {problems.map(([name, reasons]) => (
        <li key={name}>
          {name}: {reasons.join('; ')}
        </li>
      ))}
    </ul>
  );
}

/** <option>s of a filter; the empty value reads "any". */
export function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {v || 'any'}
        </option>
      ))}
    </>
  );
}

/**
 * A confirmation in the browser's native modal <dialog>: focus is trapped and Escape cancels without
 * code of ours, which is why no dialog library is used.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={props.onCancel} onClose={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div className="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className={props.danger ? 'danger' : 'primary'}
          onClick={props.onConfirm}
          disabled={props.busy}
        >
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function StageBadge({ stage }: { stage: string }) {
  return <span className={`badge stage-${stage}`}>{stage}</span>;
}
