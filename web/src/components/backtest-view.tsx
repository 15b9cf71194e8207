import { useMemo, useState } from 'preact/hooks';
import { get, query } from '../api';
import { drawdown, LineChart, type SeriesSpec } from './chart';
import { Show, useLoad } from './status';
import { num, pct, text } from '../format';
import type { BacktestEquity, BacktestSummary, BacktestTrades } from '../../../src/contracts/backtests';

const EQUITY: SeriesSpec[] = [
  { label: 'strategy', color: '#2a7de1' },
  { label: 'buy & hold', color: '#8a8f96', dash: [6, 4] },
];
const DRAWDOWN: SeriesSpec[] = [
  { label: 'strategy drawdown', color: '#c73a3a' },
  { label: 'buy & hold drawdown', color: '#8a8f96', dash: [6, 4] },
];
const PAGE = 25;

/** Ratios (returns, drawdowns, rates) read as percentages; everything else as a plain number. */
function figure(key: string, value: unknown): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value))
    return value
      .replace('T00:00:00Z', '')
      .replace('T', ' ')
      .replace(/(\.000)?Z$/, 'Z');
  if (typeof value !== 'number') return text(value);
  const ratio = /return|drawdown|rate|exposure|cagr|volatility/.test(key) && !/bars|index|price/.test(key);
  return ratio ? pct(value, 2) : num(value, Number.isInteger(value) ? 0 : 3);
}

/** Strategy figures next to buy-and-hold's on the same bars, for every figure both have. */
export function MetricsVsBenchmark({ metrics, benchmark }: { metrics: Record<string, unknown>; benchmark: Record<string, unknown> }) {
  return (
    <table class="compact" aria-label="Metrics vs buy and hold">
      <thead>
        <tr>
          <th>Metric</th>
          <th>Strategy</th>
          <th>Buy &amp; hold</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(metrics).map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key.replace(/_/g, ' ')}</th>
            <td>{figure(key, value)}</td>
            <td>{key in benchmark ? figure(key, benchmark[key]) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One completed backtest: settings, metrics vs benchmark, equity with drawdown underneath, trades in pages. */
export function BacktestView({ id }: { id: string }) {
  const base = `/backtests/${encodeURIComponent(id)}`;
  const summary = useLoad(() => get<BacktestSummary>(base), id);
  const equity = useLoad(() => get<BacktestEquity>(`${base}/equity?points=2000`), id);
  return (
    <div class="backtest">
      <Show loaded={summary}>
        {(s) => (
          <>
            <p>
              {s.strategy} v{s.version} on {s.symbol} {s.timeframe}, {s.first_bar.slice(0, 10)} … {s.last_bar.slice(0, 10)}, {s.bars} bars, {s.trades}{' '}
              trades
            </p>
            <div class="two">
              <MetricsVsBenchmark metrics={s.metrics} benchmark={s.benchmark} />
              <table class="compact" aria-label="Settings">
                <tbody>
                  {Object.entries(s.settings).map(([key, value]) => (
                    <tr key={key}>
                      <th scope="row">{key.replace(/_/g, ' ')}</th>
                      <td>{text(value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </Show>
      <Show loaded={equity}>{(curve) => <EquityCharts curve={curve} />}</Show>
      <Trades base={base} />
    </div>
  );
}

function EquityCharts({ curve }: { curve: BacktestEquity }) {
  const data = useMemo(() => {
    const x = curve.timestamps.map((t) => Date.parse(t) / 1000);
    // Backtests recorded before the benchmark curve existed draw the strategy alone (the column stays, empty).
    const benchmark = curve.benchmark ?? x.map(() => null);
    const benchmarkDrawdown = curve.benchmark === null ? benchmark : drawdown(curve.benchmark);
    return { equity: [x, curve.equity, benchmark], drawdown: [x, drawdown(curve.equity), benchmarkDrawdown] };
  }, [curve]);
  // One column: the drawdown sits under the equity, on the same time axis.
  return (
    <div class="stack">
      <LineChart title="Equity vs buy and hold (starts at 1)" data={data.equity} series={EQUITY} version={0} time />
      <LineChart title="Drawdown" data={data.drawdown} series={DRAWDOWN} version={0} time height={120} yFormat={(v) => pct(v, 0)} />
    </div>
  );
}

function Trades({ base }: { base: string }) {
  const [offset, setOffset] = useState(0);
  const trades = useLoad(() => get<BacktestTrades>(`${base}/trades${query({ offset, limit: PAGE })}`), `${base}|${offset}`);
  return (
    <>
      <h3>Trades</h3>
      <Show loaded={trades}>
        {(page) => {
          const columns = page.data.length > 0 ? Object.keys(page.data[0]) : [];
          return (
            <>
              <div class="scroll">
                <table class="compact" aria-label="Trades">
                  <thead>
                    <tr>
                      {columns.map((c) => (
                        <th key={c}>{c.replace(/_/g, ' ')}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {page.data.map((trade, i) => (
                      <tr key={i}>
                        {columns.map((c) => (
                          <td key={c}>{figure(c, trade[c])}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <p class="pager">
                {page.total === 0 ? 'No trades.' : `${page.offset + 1}–${Math.min(page.total, page.offset + page.limit)} of ${page.total}`}{' '}
                <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
                  Previous
                </button>{' '}
                <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
                  Next
                </button>
              </p>
            </>
          );
        }}
      </Show>
    </>
  );
}
