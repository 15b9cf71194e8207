import { render } from 'preact';
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

function App() {
  const location = useLocation();
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
      </header>
      <main id="main" tabIndex={-1}>
        <Page location={location} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
