import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { del, get, onAuthRequired, setCsrfToken } from './api';
import { ErrorBox } from './components/status';
import { LoginPage } from './pages/login';
import { BacktestPage } from './pages/backtest';
import { ComparePage } from './pages/compare';
import { HostsPage } from './pages/hosts';
import { ModelPage } from './pages/model';
import { ModelsPage } from './pages/models';
import { OperationsPage } from './pages/operations';
import { RunPage } from './pages/run';
import { StrategiesPage, StrategyPage } from './pages/strategies';
import { match, useLocation, type Location } from './router';
import './styles.css';
import type { SessionState } from '../../src/contracts/session';

const NAV = [
  ['/', 'Strategies'],
  ['/operations', 'Operations'],
  ['/models', 'Models'],
  ['/compare', 'Compare'],
  ['/hosts', 'Hosts'],
] as const;

function Page({ location }: { location: Location }) {
  const path = location.path;
  let params: Record<string, string> | null;
  if (path === '/' || path === '/strategies') return <StrategiesPage />;
  if ((params = match('/strategies/:name', path))) return <StrategyPage name={params.name} />;
  if (path === '/operations') return <OperationsPage location={location} />;
  if ((params = match('/operations/:id', path))) return <RunPage key={params.id} id={params.id} />;
  if (path === '/models') return <ModelsPage />;
  if ((params = match('/models/:strategy/:version', path))) return <ModelPage strategy={params.strategy} version={params.version} />;
  if (path === '/compare') return <ComparePage location={location} />;
  if ((params = match('/backtests/:id', path))) return <BacktestPage id={params.id} />;
  if (path === '/hosts') return <HostsPage />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <a href="/">Strategies</a>
      </p>
    </section>
  );
}

type Auth = { readonly kind: 'checking' } | { readonly kind: 'login' } | { readonly kind: 'ready'; readonly session: SessionState | null };

/** Asks the server whether a login is needed; any 401 later (expired session, revoked token) brings the form back. */
function useAuth(): [Auth, (auth: Auth) => void, unknown] {
  const [auth, setAuth] = useState<Auth>({ kind: 'checking' });
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    get<SessionState>('/session').then((state) => {
      setCsrfToken(state.csrf_token);
      setAuth(state.tokens_required && !state.signed_in ? { kind: 'login' } : { kind: 'ready', session: state.signed_in ? state : null });
    }, setError);
    return onAuthRequired(() => {
      setCsrfToken(null);
      setAuth({ kind: 'login' });
    });
  }, []);
  return [auth, setAuth, error];
}

function App() {
  const location = useLocation();
  const [auth, setAuth, authError] = useAuth();
  const logout = () =>
    del('/session').then(
      () => {
        setCsrfToken(null);
        setAuth({ kind: 'login' });
      },
      () => setAuth({ kind: 'login' }),
    );
  const section = '/' + (location.path.split('/')[1] ?? '');
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href="/">
          ktrdr
        </a>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => {
            const current =
              href === '/' ? section === '/' || section === '/strategies' : section === href || (href === '/operations' && section === '/backtests');
            return (
              <a key={href} href={href} aria-current={current ? 'page' : undefined}>
                {label}
              </a>
            );
          })}
        </nav>
        {auth.kind === 'ready' && auth.session !== null && (
          <span class="session">
            {auth.session.token_name} ({auth.session.scope}){' '}
            <button type="button" onClick={() => void logout()}>
              Log out
            </button>
          </span>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {authError !== undefined ? (
          <ErrorBox error={authError} />
        ) : auth.kind === 'checking' ? (
          <p class="muted">Loading…</p>
        ) : auth.kind === 'login' ? (
          <LoginPage onSignedIn={(session) => setAuth({ kind: 'ready', session })} />
        ) : (
          <Page location={location} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
