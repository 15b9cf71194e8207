import { get } from '../api';
import { BacktestView } from '../components/backtest-view';
import { BacktestForm } from '../components/backtest-form';
import { Show, StatusBadge, useLoad } from '../components/status';
import type { OperationResponse } from '../../../src/contracts/operations';

/** A backtest's results once it completed; before that, its status and a link to follow it live. */
export function BacktestPage({ id }: { id: string }) {
  const operation = useLoad(() => get<OperationResponse>(`/operations/${encodeURIComponent(id)}`), id);
  return (
    <section>
      <h1>Backtest {id}</h1>
      <Show loaded={operation}>
        {(op) => (
          <>
            <p>
              <StatusBadge status={op.status} /> <a href={`/operations/${encodeURIComponent(id)}`}>Progress and log</a>
            </p>
            {op.status === 'completed' && <BacktestView id={id} />}
            {typeof op.result?.version === 'number' && <BacktestForm strategy={op.strategy} version={op.result.version} />}
          </>
        )}
      </Show>
    </section>
  );
}
