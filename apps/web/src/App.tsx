import { type AihubClient, createAihubClient, isAihubError } from '@aihub/client';
import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import { Link, Route, Switch } from 'wouter';
import { ExportsPage } from './pages/Exports.js';
import { FeatureSetsPage } from './pages/FeatureSets.js';
import { FreshnessPage } from './pages/Freshness.js';
import { KeysPage } from './pages/Keys.js';
import { ModelPage } from './pages/Model.js';
import { ModelsPage } from './pages/Models.js';
import { storedKey, storeKey } from './session.js';
import { TRPCProvider, useTRPC } from './trpc.js';
import { ErrorNotice, Loading, SessionContext, useSession } from './ui.js';

function clientFor(apiKey: string): AihubClient {
  // Same origin as the console: the server serves both, so no CORS and no URL to configure.
  return createAihubClient({ url: window.location.origin, apiKey });
}

export function App() {
  const [apiKey, setApiKey] = useState<string | null>(() => storedKey());
  const signOut = () => {
    storeKey(null);
    setApiKey(null);
  };
  if (!apiKey) {
    return (
      <SignIn
        onSignedIn={(key) => {
          storeKey(key);
          setApiKey(key);
        }}
      />
    );
  }
  return <SignedIn key={apiKey} apiKey={apiKey} signOut={signOut} />;
}

function SignIn({ onSignedIn }: { onSignedIn: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await clientFor(key.trim()).auth.whoami.query();
      onSignedIn(key.trim());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <h1>AI Hub console</h1>
      <form onSubmit={submit} className="card">
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={key}
          onChange={(e) => setKey(e.target.value)}
          placeholder="aihub_…"
          required
        />
        <p className="muted small">Kept in this tab's session storage only; closing the tab signs you out.</p>
        <button type="submit" className="primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorNotice error={error} title="Could not sign in" />
      </form>
    </main>
  );
}

function SignedIn({ apiKey, signOut }: { apiKey: string; signOut: () => void }) {
  const queryClient = useMemo(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // A refusal does not get better by asking again; a network blip might.
            retry: (count, error) => !isAihubError(error) && count < 2,
            refetchOnWindowFocus: false,
          },
        },
      }),
    [],
  );
  const trpcClient = useMemo(() => clientFor(apiKey), [apiKey]);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <Shell signOut={signOut} />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

function Shell({ signOut }: { signOut: () => void }) {
  const trpc = useTRPC();
  const whoami = useQuery(trpc.auth.whoami.queryOptions());
  if (whoami.isPending) return <Loading what="your key" />;
  if (whoami.error) {
    return (
      <main className="signin">
        <ErrorNotice error={whoami.error} title="This key no longer works" />
        <button type="button" onClick={signOut}>
          Sign in again
        </button>
      </main>
    );
  }
  return (
    <SessionContext.Provider value={{ whoami: whoami.data, signOut }}>
      <Layout />
    </SessionContext.Provider>
  );
}

function Layout() {
  const { whoami, signOut } = useSession();
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">AI Hub</span>
        <nav aria-label="Sections">
          <Link href="/models">Models</Link>
          <Link href="/feature-sets">Feature sets</Link>
          <Link href="/freshness">Freshness</Link>
          <Link href="/exports">Exports</Link>
          {whoami.role === 'admin' && <Link href="/keys">Keys</Link>}
        </nav>
        <span className="who" data-testid="whoami">
          project <strong>{whoami.project.name}</strong> · {whoami.keyName} ·{' '}
          <span className={`badge role-${whoami.role}`}>{whoami.role}</span>
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Switch>
          <Route path="/models/:name">
            {(params) => <ModelPage name={decodeURIComponent(params.name)} />}
          </Route>
          <Route path="/feature-sets" component={FeatureSetsPage} />
          <Route path="/freshness" component={FreshnessPage} />
          <Route path="/exports" component={ExportsPage} />
          <Route path="/keys" component={KeysPage} />
          <Route component={ModelsPage} />
        </Switch>
      </main>
    </>
  );
}
