import { get } from '../api';
import { Show, useLoad } from '../components/status';
import { num, pct, when } from '../format';
import type { ModelSummary } from '../../../src/contracts/models';

type ModelList = { data: ModelSummary[] };

export function ModelsPage() {
  const models = useLoad(() => get<ModelList>('/models'), 'models');
  return (
    <section>
      <h1>Models</h1>
      <Show loaded={models}>
        {({ data }) =>
          data.length === 0 ? (
            <p class="muted">No trained models yet: train a strategy from its page.</p>
          ) : (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Created</th>
                    <th>Test accuracy</th>
                    <th>Test-period return (vs buy &amp; hold)</th>
                    <th>Sharpe</th>
                    <th>Features</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((m) => (
                    <tr key={`${m.strategy}/${m.version}`}>
                      <td>
                        <a href={`/models/${encodeURIComponent(m.strategy)}/${m.version}`}>
                          {m.strategy} v{m.version}
                        </a>
                      </td>
                      <td>{when(m.created_at)}</td>
                      <td>{pct(m.test_accuracy)}</td>
                      <td>
                        {pct(m.test_period?.return, 2)} <span class="muted">vs {pct(m.test_period?.buy_and_hold.return, 2)}</span>
                      </td>
                      <td>{num(m.test_period?.sharpe, 2)}</td>
                      <td>{m.feature_count}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Show>
    </section>
  );
}
