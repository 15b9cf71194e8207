import { useMemo, useState } from 'preact/hooks';
import { del } from '../api';
import { LineChart, type SeriesSpec } from '../components/chart';
import { ErrorBox, StatusBadge } from '../components/status';
import { duration, num, pct, text, when } from '../format';
import { useRun, type RunView } from '../run-stream';
import type { OperationResponse } from '../../../src/contracts/operations';

const LOSS_SERIES: SeriesSpec[] = [
  { label: 'train loss', color: '#2a7de1' },
  { label: 'validation loss', color: '#e8702a' },
];
const ACCURACY_SERIES: SeriesSpec[] = [
  { label: 'train accuracy', color: '#2a7de1' },
  { label: 'validation accuracy', color: '#e8702a' },
];

const TITLES: Record<OperationResponse['type'], string> = { training: 'Training', backtest: 'Backtest', sweep: 'Sweep', walkforward: 'Walk-forward' };

/** Marks the first draw of the loss chart so a browser test can read how long loading the page took to draw it. */
function markDrawn(ms: number, points: number) {
  performance.mark('ktrdr:loss-chart-drawn', { detail: { drawMs: ms, points } });
}

export function RunPage({ id }: { id: string }) {
  const run = useRun(id);
  const { operation, progress, columns, version } = run;
  const loss = useMemo(() => [columns.epoch, columns.trainLoss, columns.valLoss], [columns]);
  const accuracy = useMemo(() => [columns.epoch, columns.trainAccuracy, columns.valAccuracy], [columns]);
  if (run.error !== undefined && operation === undefined) return <ErrorBox error={run.error} />;
  if (operation === undefined) return <p class="muted">Loading…</p>;
  const percent = progress?.percent ?? (operation.status === 'completed' ? 100 : 0);
  return (
    <section>
      <h1>
        {TITLES[operation.type]} {operation.operation_id}
      </h1>
      <p>
        <a href={`/strategies/${encodeURIComponent(operation.strategy)}`}>{operation.strategy}</a> <StatusBadge status={operation.status} />{' '}
        <Connection state={run.connection} />
      </p>
      {run.error !== undefined && <ErrorBox error={run.error} />}
      <div class="progress-block">
        <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)} aria-label="Progress">
          <div class="progress-fill" style={{ width: `${percent}%` }} />
        </div>
        <p class="progress-text" data-testid="progress-text">
          {progressLine(percent, progress, operation.status === 'running')}
        </p>
      </div>
      <CancelControl operation={operation} onCancelled={run.refresh} />
      <Outcome operation={operation} />
      {operation.type === 'training' && (
        <div class="charts">
          <LineChart title="Loss per epoch" data={loss} series={LOSS_SERIES} version={version} onFirstDraw={markDrawn} />
          <LineChart title="Accuracy per epoch" data={accuracy} series={ACCURACY_SERIES} version={version} yFormat={(v) => pct(v, 0)} />
        </div>
      )}
      <Execution operation={operation} />
      <h2>Steps</h2>
      <ol class="log" aria-live="off" data-testid="step-log">
        {run.logs.map((line, i) => (
          <li key={i} class={`log-${line.level}`}>
            <time>{line.time.slice(11, 19)}</time> {line.msg}
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * One string, so one text node: Chromium counts text that moves as a layout shift, and parts after a changing percent
 * or step would move with every update.
 */
function progressLine(percent: number, progress: RunView['progress'], running: boolean): string {
  let line = `${percent.toFixed(1)}% · ${progress ? `Step ${progress.step_index}/${progress.total_steps}: ${progress.message}` : 'waiting to start'}`;
  if (progress?.epoch !== undefined) line += ` · epoch ${progress.epoch}/${progress.total_epochs ?? '?'}`;
  if (progress?.eta_seconds !== undefined && running) line += ` · ETA ${duration(progress.eta_seconds)}`;
  return line;
}

function Connection({ state }: { state: string }) {
  if (state === 'reconnecting')
    return (
      <span class="badge badge-failed" role="status">
        connection lost — reconnecting…
      </span>
    );
  if (state === 'live')
    return (
      <span class="badge badge-running" role="status">
        live
      </span>
    );
  return null;
}

function Execution({ operation }: { operation: OperationResponse }) {
  const e = operation.execution;
  return (
    <>
      <h2>Where it runs</h2>
      <dl class="facts">
        <dt>Requested</dt>
        <dd>{e.requested}</dd>
        <dt>Selected</dt>
        <dd>{text(e.selected)}</dd>
        <dt>Why</dt>
        <dd>{text(e.reason)}</dd>
        <dt>Host</dt>
        <dd>{text(e.host)}</dd>
        <dt>Device</dt>
        <dd>{text(e.device)}</dd>
        <dt>Created</dt>
        <dd>{when(operation.created_at)}</dd>
        <dt>Duration</dt>
        <dd>{duration(operation.duration_seconds)}</dd>
      </dl>
    </>
  );
}

/** Cancel asks first: a run of hours is not undone by a stray click. */
function CancelControl({ operation, onCancelled }: { operation: OperationResponse; onCancelled: () => void }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  if (!['pending', 'running'].includes(operation.status)) return null;
  const cancel = () => {
    setAsking(false);
    del(`/operations/${encodeURIComponent(operation.operation_id)}`, { reason: 'cancelled from the dashboard' }).then(onCancelled, setError);
  };
  return (
    <div class="actions">
      {asking ? (
        <span role="group" aria-label="Confirm cancel">
          Cancel this run?{' '}
          <button type="button" class="danger" onClick={cancel}>
            Yes, cancel the run
          </button>{' '}
          <button type="button" onClick={() => setAsking(false)}>
            Keep running
          </button>
        </span>
      ) : (
        <button type="button" onClick={() => setAsking(true)}>
          Cancel…
        </button>
      )}
      {error !== undefined && <ErrorBox error={error} />}
    </div>
  );
}

function Outcome({ operation }: { operation: OperationResponse }) {
  if (operation.error) return <ErrorBox error={new Error(`${operation.error.code}: ${operation.error.message}`)} />;
  const result = operation.result;
  if (result === null) return null;
  if (operation.type === 'sweep' || operation.type === 'walkforward') {
    // Their results have no page of their own yet: the API's answer is the report.
    const path = operation.type === 'sweep' ? 'sweeps' : 'walkforwards';
    return (
      <p>
        <a href={`/api/v1/${path}/${encodeURIComponent(operation.operation_id)}`}>Results (JSON)</a>
      </p>
    );
  }
  if (operation.type === 'backtest') {
    return (
      <p>
        <a href={`/backtests/${encodeURIComponent(operation.operation_id)}`}>Backtest results</a>
      </p>
    );
  }
  const test = (result.test_metrics ?? {}) as Record<string, unknown>;
  return (
    <div class="card" data-testid="final-metrics">
      <h2>Result</h2>
      <dl class="facts">
        <dt>Model</dt>
        <dd>
          {result.model_version === null ? (
            'not saved'
          ) : (
            <a href={`/models/${encodeURIComponent(result.model_strategy ?? operation.strategy)}/${result.model_version}`}>
              {result.model_strategy ?? operation.strategy} v{result.model_version}
            </a>
          )}
        </dd>
        <dt>Test accuracy</dt>
        <dd>
          {pct(test.accuracy)} <span class="muted">vs majority {pct(test.baseline_accuracy)}</span>
        </dd>
        <dt>Test loss</dt>
        <dd>{num(test.loss)}</dd>
        <dt>F1</dt>
        <dd>{num(test.f1_score)}</dd>
      </dl>
    </div>
  );
}
