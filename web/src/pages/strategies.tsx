import { useState } from 'preact/hooks';
import { ApiError, get, post } from '../api';
import { ErrorBox, Show, StatusBadge, useLoad } from '../components/status';
import { num, pct, text } from '../format';
import { navigate } from '../router';
import type { StrategyDetail, StrategySummary, StrategyValidation } from '../../../src/contracts/strategies';
import type { StartTrainingResponse } from '../../../src/contracts/trainings';
import type { ModelSummary } from '../../../src/contracts/models';

type Period = StrategySummary['test_period'];

function VsBenchmark({ period, field, format }: { period: Period; field: 'return' | 'sharpe' | 'max_drawdown'; format: (v: unknown) => string }) {
  if (period === null) return <>–</>;
  return (
    <>
      {format(period[field])} <span class="muted">vs {format(period.buy_and_hold[field])}</span>
    </>
  );
}

export function StrategiesPage() {
  const strategies = useLoad(() => get<{ data: StrategySummary[] }>('/strategies'), 'strategies');
  const models = useLoad(() => get<{ data: ModelSummary[] }>('/models'), 'models');
  const lastTrained = (name: string | null) =>
    models.data?.data
      .filter((m) => m.strategy === name)
      .reduce<string | null>((latest, m) => (latest === null || m.created_at > latest ? m.created_at : latest), null);
  return (
    <section>
      <h1>Strategies</h1>
      <Show loaded={strategies}>
        {({ data }) => (
          <div class="scroll">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Status</th>
                  <th>Latest</th>
                  <th>Test accuracy (vs majority)</th>
                  <th>Return (vs buy &amp; hold)</th>
                  <th>Sharpe</th>
                  <th>Max drawdown</th>
                  <th>Last trained</th>
                </tr>
              </thead>
              <tbody>
                {data.map((s) => (
                  <tr key={s.name}>
                    <td>
                      <a href={`/strategies/${encodeURIComponent(s.name)}`}>{s.name}</a>
                      {!s.valid && <span class="badge badge-failed">invalid</span>}
                    </td>
                    <td>
                      <StatusBadge status={s.training_status} />
                    </td>
                    <td>
                      {s.latest_version === null ? (
                        '–'
                      ) : (
                        <a href={`/models/${encodeURIComponent(s.model_name ?? s.name)}/${s.latest_version}`}>v{s.latest_version}</a>
                      )}
                    </td>
                    <td>
                      {pct(s.test_metrics?.accuracy)} <span class="muted">vs {pct(s.test_metrics?.baseline_accuracy)}</span>
                    </td>
                    <td>
                      <VsBenchmark period={s.test_period} field="return" format={(v) => pct(v)} />
                    </td>
                    <td>
                      <VsBenchmark period={s.test_period} field="sharpe" format={(v) => num(v, 2)} />
                    </td>
                    <td>
                      <VsBenchmark period={s.test_period} field="max_drawdown" format={(v) => pct(v)} />
                    </td>
                    <td>{text(lastTrained(s.model_name)?.slice(0, 16).replace('T', ' '))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Show>
    </section>
  );
}

export function StrategyPage({ name }: { name: string }) {
  const detail = useLoad(() => get<StrategyDetail>(`/strategies/${encodeURIComponent(name)}`), name);
  const [validation, setValidation] = useState<StrategyValidation | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const validate = () => {
    setError(undefined);
    post<StrategyValidation>(`/strategies/${encodeURIComponent(name)}/validate`).then(setValidation, setError);
  };
  // An invalid file is still a page: its problems, each with its path, and Validate to check again after an edit.
  const invalid = detail.error instanceof ApiError && detail.error.code === 'STRATEGY_INVALID' ? detail.error : null;
  if (invalid !== null) {
    const errors = (invalid.details as { errors?: StrategyValidation['errors'] } | undefined)?.errors ?? [];
    return (
      <section>
        <h1>Strategy {name}</h1>
        <p>
          <StatusBadge status="invalid" /> The strategy file cannot be trained until these are fixed.{' '}
          <button type="button" onClick={validate}>
            Validate
          </button>
        </p>
        {error !== undefined && <ErrorBox error={error} />}
        <Problems validation={validation ?? { name, valid: false, errors, warnings: [] }} />
      </section>
    );
  }
  return (
    <section>
      <h1>Strategy {name}</h1>
      <Show loaded={detail}>
        {(s) => (
          <>
            <p>{s.description}</p>
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={s.training_status} />
              </dd>
              <dt>Symbols</dt>
              <dd>{s.symbols.join(', ')}</dd>
              <dt>Timeframes</dt>
              <dd>{s.timeframes.join(', ')}</dd>
              <dt>Date range</dt>
              <dd>
                {text(s.start_date)} … {text(s.end_date)}
              </dd>
              <dt>Latest version</dt>
              <dd>
                {s.latest_version === null ? (
                  '–'
                ) : (
                  <a href={`/models/${encodeURIComponent(s.model_name ?? s.name)}/${s.latest_version}`}>v{s.latest_version}</a>
                )}
              </dd>
              <dt>Features</dt>
              <dd>{s.features.length}</dd>
              <dt>Training</dt>
              <dd>
                {s.training.epochs} epochs, batch {s.training.batch_size}, seed {s.training.seed}
              </dd>
            </dl>
            <p>
              <button type="button" onClick={validate}>
                Validate
              </button>{' '}
              <a href={`/operations?strategy=${encodeURIComponent(name)}`}>Runs of this strategy</a>
            </p>
            {error !== undefined && <ErrorBox error={error} />}
            {validation && <Problems validation={validation} />}
            <TrainForm strategy={name} defaults={s} />
          </>
        )}
      </Show>
    </section>
  );
}

function Problems({ validation }: { validation: StrategyValidation }) {
  return (
    <div class="problems" aria-live="polite">
      <p>{validation.valid ? `${validation.name} is valid.` : `${validation.name} has ${validation.errors.length} problem(s):`}</p>
      <ul>
        {validation.errors.map((p, i) => (
          <li key={`e${i}`} class="problem">
            <code>{p.path || '(file)'}</code>
            {p.line !== undefined && <span class="muted"> line {p.line}</span>}: {p.message}
          </li>
        ))}
        {validation.warnings.map((p, i) => (
          <li key={`w${i}`} class="warning">
            warning <code>{p.path}</code>: {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Starts a training with the request fields the API takes, then opens the run's page. */
function TrainForm({ strategy, defaults }: { strategy: string; defaults: StrategyDetail }) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (key: string) => {
      const value = String(form.get(key) ?? '').trim();
      return value === '' ? undefined : value;
    };
    const integer = (key: string) => (field(key) === undefined ? undefined : Number(field(key)));
    const body = {
      strategy_name: strategy,
      execution_mode: field('mode'),
      require_gpu: form.get('require_gpu') === 'on',
      seed: integer('seed'),
      epochs: integer('epochs'),
      start_date: field('start_date'),
      end_date: field('end_date'),
    };
    setBusy(true);
    setError(undefined);
    post<StartTrainingResponse>('/trainings/start', body).then(
      (started) => navigate(`/operations/${encodeURIComponent(started.operation_id)}`),
      (failure: unknown) => {
        setBusy(false);
        setError(failure);
      },
    );
  };
  return (
    <form class="card form" onSubmit={submit} aria-label="Train">
      <h2>Train</h2>
      <label>
        Mode
        <select name="mode">
          <option value="">server default</option>
          <option value="auto">auto</option>
          <option value="local">local</option>
          <option value="host">host</option>
        </select>
      </label>
      <label class="check">
        <input type="checkbox" name="require_gpu" /> Require GPU
      </label>
      <label>
        Seed
        <input name="seed" type="number" min="0" step="1" placeholder={String(defaults.training.seed)} />
      </label>
      <label>
        Epochs
        <input name="epochs" type="number" min="1" step="1" placeholder={String(defaults.training.epochs)} />
      </label>
      <label>
        Start date
        <input name="start_date" placeholder={defaults.start_date ?? 'YYYY-MM-DD'} />
      </label>
      <label>
        End date
        <input name="end_date" placeholder={defaults.end_date ?? 'YYYY-MM-DD'} />
      </label>
      <button type="submit" disabled={busy}>
        Start training
      </button>
      {error !== undefined && <ErrorBox error={error} />}
    </form>
  );
}
