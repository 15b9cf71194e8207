import { useMemo } from 'preact/hooks';
import { API, get, query } from '../api';
import { BacktestForm } from '../components/backtest-form';
import { BacktestView, MetricsVsBenchmark } from '../components/backtest-view';
import { LineChart, type SeriesSpec } from '../components/chart';
import { ConfusionHeatmap } from '../components/heatmap';
import { Show, useLoad } from '../components/status';
import { num, pct, text, when } from '../format';
import type { HistoryRecord, Manifest, TestBacktest, TestReport } from '../model-types';
import type { ModelDetail, ModelSummary } from '../../../src/contracts/models';

type ModelList = { data: ModelSummary[] };
import type { OperationList } from '../../../src/contracts/operations';

const LOSS: SeriesSpec[] = [
  { label: 'train loss', color: '#2a7de1' },
  { label: 'validation loss', color: '#e8702a' },
];

export function historyColumns(history: readonly Record<string, unknown>[]): (number | null)[][] {
  const rows = history as unknown as HistoryRecord[];
  const value = (v: unknown) => (typeof v === 'number' ? v : null);
  return [rows.map((r) => r.epoch), rows.map((r) => value(r.train_loss)), rows.map((r) => value(r.val_loss))];
}

export function ModelPage({ strategy, version }: { strategy: string; version: string }) {
  const path = `/models/${encodeURIComponent(strategy)}/${encodeURIComponent(version)}`;
  const model = useLoad(() => get<ModelDetail>(path), path);
  return (
    <section>
      <Show loaded={model}>{(m) => <ModelView model={m} />}</Show>
    </section>
  );
}

function ModelView({ model }: { model: ModelDetail }) {
  const test = model.metrics.test as TestReport;
  const manifest = model.manifest as Manifest;
  const backtest = model.metrics.backtest as TestBacktest | null;
  const history = useMemo(() => historyColumns(model.metrics.history), [model]);
  const classes = test.per_class?.map((c) => c.class) ?? [];
  const firstSymbol = backtest?.symbols[0];
  return (
    <>
      <h1>
        {model.strategy} v{model.version}
      </h1>
      <p>
        Created {when(model.created_at)}
        {model.operation_id && (
          <>
            {' '}
            by <a href={`/operations/${encodeURIComponent(model.operation_id)}`}>{model.operation_id}</a>
          </>
        )}{' '}
        · <a href={`/compare${query({ a: `${model.strategy}/${model.version}` })}`}>Compare with…</a>
      </p>
      <p class="files">
        Download:{' '}
        {model.files.map((file) => (
          <a
            key={file.name}
            href={`${API}/models/${encodeURIComponent(model.strategy)}/${model.version}/files/${file.name}`}
            download
            title={`${file.bytes} bytes`}
          >
            {file.name}
          </a>
        ))}
      </p>
      <div class="two">
        <div>
          <h2>Test metrics</h2>
          <p>
            Accuracy {pct(test.accuracy)}{' '}
            <span class="muted">
              vs majority class ({text(test.majority_class)}) {pct(test.baseline_accuracy)}
            </span>
            , loss {num(test.loss)}
          </p>
          <table class="compact" aria-label="Per-class metrics">
            <thead>
              <tr>
                <th>Class</th>
                <th>Precision</th>
                <th>Recall</th>
                <th>F1</th>
                <th>Support</th>
              </tr>
            </thead>
            <tbody>
              {(test.per_class ?? []).map((c) => (
                <tr key={c.class}>
                  <th scope="row">{c.class}</th>
                  <td>{num(c.precision)}</td>
                  <td>{num(c.recall)}</td>
                  <td>{num(c.f1_score)}</td>
                  <td>{c.support}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>{test.confusion_matrix && <ConfusionHeatmap matrix={test.confusion_matrix} classes={classes} />}</div>
      </div>
      <LineChart title="Loss per epoch" data={history} series={LOSS} version={0} />
      <h2>Test-period backtest</h2>
      {backtest === null ? (
        <p class="muted">This model was trained before test-period backtests were recorded.</p>
      ) : (
        <>
          <p>{backtest.symbols.map((s) => `${s.symbol} ${s.first_bar.slice(0, 10)} … ${s.last_bar.slice(0, 10)} (${s.bars} bars)`).join('; ')}</p>
          <MetricsVsBenchmark metrics={backtest.mean.metrics} benchmark={backtest.mean.benchmark} />
        </>
      )}
      <TestPeriodRun strategy={model.strategy} version={model.version} />
      <BacktestForm strategy={model.strategy} version={model.version} start={firstSymbol?.first_bar} end={firstSymbol?.last_bar} />
      <Manifest manifest={manifest} />
      <h2>Features ({model.features.names.length})</h2>
      <ol class="features">
        {model.features.names.map((name) => (
          <li key={name}>
            <code>{name}</code>
          </li>
        ))}
      </ol>
      <OtherVersions strategy={model.strategy} current={model.version} />
    </>
  );
}

/** The newest completed backtest of this version, drawn in full (equity, drawdown, trades). */
function TestPeriodRun({ strategy, version }: { strategy: string; version: number }) {
  const runs = useLoad(
    () => get<OperationList>(`/operations${query({ type: 'backtest', strategy, status: 'completed', limit: 100 })}`),
    `${strategy}/${version}`,
  );
  return (
    <Show loaded={runs}>
      {({ data }) => {
        const latest = data.find((op) => op.request.version === version || (op.request.version === undefined && op.result?.version === version));
        if (!latest) return <p class="muted">No backtest of this version has run yet; run one below to see its equity curve and trades.</p>;
        return (
          <>
            <h3>
              Latest backtest: <a href={`/backtests/${encodeURIComponent(latest.operation_id)}`}>{latest.operation_id}</a>
            </h3>
            <BacktestView id={latest.operation_id} />
          </>
        );
      }}
    </Show>
  );
}

function Manifest({ manifest }: { manifest: Manifest }) {
  return (
    <>
      <h2>Manifest</h2>
      <dl class="facts">
        <dt>Strategy sha256</dt>
        <dd>
          <code>{text(manifest.strategy_sha256)}</code>
        </dd>
        <dt>Weights sha256</dt>
        <dd>
          <code>{text(manifest.weights_sha256)}</code>
        </dd>
        <dt>Seed</dt>
        <dd>{text(manifest.seed)}</dd>
        <dt>Data range</dt>
        <dd>
          {text(manifest.start_date)} … {text(manifest.end_date)}
        </dd>
        <dt>Device</dt>
        <dd>
          {manifest.execution
            ? `${manifest.execution.mode} · ${manifest.execution.device}${manifest.execution.host ? ` · ${manifest.execution.host}` : ''}`
            : '–'}
        </dd>
        <dt>Package</dt>
        <dd>{text(manifest.package_version)}</dd>
      </dl>
      <div class="two">
        <table class="compact" aria-label="Data">
          <thead>
            <tr>
              <th>Data</th>
              <th>Bars</th>
              <th>Range</th>
              <th>sha256</th>
            </tr>
          </thead>
          <tbody>
            {(manifest.data ?? []).map((d) => (
              <tr key={`${d.symbol}-${d.timeframe}`}>
                <td>
                  {d.symbol} {d.timeframe}
                </td>
                <td>{d.bars}</td>
                <td>
                  {d.first.slice(0, 10)} … {d.last.slice(0, 10)}
                </td>
                <td>
                  <code>{d.sha256.slice(0, 12)}…</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <table class="compact" aria-label="Step durations">
          <thead>
            <tr>
              <th>Step</th>
              <th>Duration</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(manifest.durations_ms ?? {}).map(([step, ms]) => (
              <tr key={step}>
                <th scope="row">{step.replace(/_/g, ' ')}</th>
                <td>{ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function OtherVersions({ strategy, current }: { strategy: string; current: number }) {
  const list = useLoad(() => get<ModelList>(`/models${query({ strategy })}`), strategy);
  return (
    <Show loaded={list}>
      {({ data }) =>
        data.length > 1 && (
          <>
            <h2>Other versions</h2>
            <ul>
              {data
                .filter((m) => m.version !== current)
                .map((m) => (
                  <li key={m.version}>
                    <a href={`/models/${encodeURIComponent(m.strategy)}/${m.version}`}>v{m.version}</a> (test accuracy {pct(m.test_accuracy)}) ·{' '}
                    <a href={`/compare${query({ a: `${strategy}/${current}`, b: `${strategy}/${m.version}` })}`}>compare with v{current}</a>
                  </li>
                ))}
            </ul>
          </>
        )
      }
    </Show>
  );
}
