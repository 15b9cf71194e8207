import { useState } from 'preact/hooks';
import { post } from '../api';
import { ErrorBox } from './status';
import { navigate } from '../router';
import type { StartBacktestResponseSchema } from '../../../src/contracts/backtests';
import type { z } from 'zod';

type StartBacktestResponse = z.infer<typeof StartBacktestResponseSchema>;

/** Runs a backtest of one model version over a chosen range, then opens the run's page. */
export function BacktestForm({ strategy, version, start, end }: { strategy: string; version: number; start?: string; end?: string }) {
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const field = (key: string) => {
      const value = String(form.get(key) ?? '').trim();
      return value === '' ? undefined : value;
    };
    const number = (key: string) => (field(key) === undefined ? undefined : Number(field(key)));
    setBusy(true);
    setError(undefined);
    post<StartBacktestResponse>('/backtests', {
      strategy_name: strategy,
      version,
      symbol: field('symbol'),
      start_date: field('start_date'),
      end_date: field('end_date'),
      mode: field('mode'),
      fee_bps: number('fee_bps'),
    }).then(
      (started) => navigate(`/operations/${encodeURIComponent(started.operation_id)}`),
      (failure: unknown) => {
        setBusy(false);
        setError(failure);
      },
    );
  };
  return (
    <form class="card form" onSubmit={submit} aria-label="Run a backtest">
      <h2>Backtest this version</h2>
      <label>
        Symbol
        <input name="symbol" placeholder="first training symbol" />
      </label>
      <label>
        Start date
        <input name="start_date" defaultValue={start?.slice(0, 10)} placeholder="YYYY-MM-DD" />
      </label>
      <label>
        End date
        <input name="end_date" defaultValue={end?.slice(0, 10)} placeholder="YYYY-MM-DD" />
      </label>
      <label>
        Mode
        <select name="mode">
          <option value="">long only</option>
          <option value="long_short">long/short</option>
        </select>
      </label>
      <label>
        Fee (bps per side)
        <input name="fee_bps" type="number" min="0" max="1000" step="any" placeholder="0" />
      </label>
      <button type="submit" disabled={busy}>
        Run backtest
      </button>
      {error !== undefined && <ErrorBox error={error} />}
    </form>
  );
}
