import { useMemo } from 'preact/hooks';
import { get, query } from '../api';
import { LineChart, type SeriesSpec } from '../components/chart';
import { Show, useLoad } from '../components/status';
import { num, pct, text } from '../format';
import { navigate, type Location } from '../router';
import type { TestReport, TestBacktest } from '../model-types';
import type { ModelDetail } from '../../../src/contracts/models';
import type { OperationMetricsResponse, OperationResponse } from '../../../src/contracts/operations';

/** One side of a comparison: a model version (`strategy/3`) or a run (`op_…`), reduced to what both have. */
interface Side {
  readonly label: string;
  readonly epochs: number[];
  readonly trainLoss: (number | null)[];
  readonly valLoss: (number | null)[];
  readonly figures: Record<string, unknown>;
}

const value = (v: unknown) => (typeof v === 'number' ? v : null);

async function loadSide(ref: string): Promise<Side> {
  const version = /^([^/]+)\/(\d+|latest)$/.exec(ref);
  if (version) {
    const model = await get<ModelDetail>(`/models/${encodeURIComponent(version[1])}/${version[2]}`);
    const test = model.metrics.test as TestReport;
    const backtest = model.metrics.backtest as TestBacktest | null;
    const history = model.metrics.history as { epoch: number; train_loss?: number; val_loss?: number }[];
    return {
      label: `${model.strategy} v${model.version}`,
      epochs: history.map((h) => h.epoch),
      trainLoss: history.map((h) => value(h.train_loss)),
      valLoss: history.map((h) => value(h.val_loss)),
      figures: {
        'test accuracy': pct(test.accuracy),
        'majority baseline': pct(test.baseline_accuracy),
        'test loss': num(test.loss),
        'test F1': num(test.f1_score),
        'test-period return': pct(backtest?.mean.metrics.total_return, 2),
        'buy & hold return': pct(backtest?.mean.benchmark.total_return, 2),
        'test-period sharpe': num(backtest?.mean.metrics.sharpe, 2),
        'best epoch': text(model.metrics.best_epoch),
        epochs: text(history.length),
      },
    };
  }
  const [op, metrics] = await Promise.all([
    get<OperationResponse>(`/operations/${encodeURIComponent(ref)}`),
    get<OperationMetricsResponse>(`/operations/${encodeURIComponent(ref)}/metrics`),
  ]);
  const test = (op.result?.test_metrics ?? {}) as TestReport;
  return {
    label: `${op.operation_id} (${op.strategy})`,
    epochs: metrics.epochs.map((e) => e.epoch),
    trainLoss: metrics.epochs.map((e) => value(e.train_loss)),
    valLoss: metrics.epochs.map((e) => value(e.val_loss)),
    figures: {
      status: op.status,
      'test accuracy': pct(test.accuracy),
      'majority baseline': pct(test.baseline_accuracy),
      'test loss': num(test.loss),
      'best epoch': text(metrics.best_epoch),
      'best validation loss': num(metrics.best_val_loss),
      epochs: text(metrics.epochs.length),
    },
  };
}

/** Aligns two epoch series on the union of their epochs (uPlot draws columns against one x). */
function overlay(a: Side, b: Side): (number | null)[][] {
  const epochs = [...new Set([...a.epochs, ...b.epochs])].sort((x, y) => x - y);
  const at = (side: Side, column: (number | null)[]) => {
    const byEpoch = new Map(side.epochs.map((e, i) => [e, column[i]]));
    return epochs.map((e) => byEpoch.get(e) ?? null);
  };
  return [epochs, at(a, a.trainLoss), at(a, a.valLoss), at(b, b.trainLoss), at(b, b.valLoss)];
}

export function ComparePage({ location }: { location: Location }) {
  const a = location.search.get('a') ?? '';
  const b = location.search.get('b') ?? '';
  const pick = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    navigate(`/compare${query({ a: String(form.get('a') ?? '').trim(), b: String(form.get('b') ?? '').trim() })}`);
  };
  return (
    <section>
      <h1>Compare</h1>
      <form class="filters" onSubmit={pick} aria-label="Choose what to compare" key={`${a}|${b}`}>
        <label>
          First (strategy/version or operation id)
          <input name="a" defaultValue={a} required />
        </label>
        <label>
          Second
          <input name="b" defaultValue={b} required />
        </label>
        <button type="submit">Compare</button>
      </form>
      {a !== '' && b !== '' && <Comparison a={a} b={b} />}
    </section>
  );
}

function Comparison({ a, b }: { a: string; b: string }) {
  const sides = useLoad(() => Promise.all([loadSide(a), loadSide(b)]), `${a}|${b}`);
  return <Show loaded={sides}>{([left, right]) => <SideBySide left={left} right={right} />}</Show>;
}

function SideBySide({ left, right }: { left: Side; right: Side }) {
  const data = useMemo(() => overlay(left, right), [left, right]);
  const series: SeriesSpec[] = [
    { label: `${left.label} train`, color: '#2a7de1' },
    { label: `${left.label} validation`, color: '#2a7de1', dash: [6, 4] },
    { label: `${right.label} train`, color: '#e8702a' },
    { label: `${right.label} validation`, color: '#e8702a', dash: [6, 4] },
  ];
  const keys = [...new Set([...Object.keys(left.figures), ...Object.keys(right.figures)])];
  return (
    <>
      <table class="compact" aria-label="Side by side">
        <thead>
          <tr>
            <th />
            <th>{left.label}</th>
            <th>{right.label}</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key}>
              <th scope="row">{key}</th>
              <td>{text(left.figures[key])}</td>
              <td>{text(right.figures[key])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <LineChart title="Loss per epoch, overlaid" data={data} series={series} version={0} />
    </>
  );
}
