import { get, query } from '../api';
import { Show, StatusBadge, useLoad } from '../components/status';
import { duration, pct, when } from '../format';
import { navigate, type Location } from '../router';
import type { OperationList } from '../../../src/contracts/operations';

const STATUSES = ['pending', 'running', 'cancelling', 'completed', 'failed', 'cancelled'];
const TYPES = ['training', 'backtest', 'sweep', 'walkforward'];

/** The filters and the page cursor live in the URL, so a filtered page is a link like any other. */
export function OperationsPage({ location }: { location: Location }) {
  const filters = {
    status: location.search.get('status') ?? '',
    type: location.search.get('type') ?? '',
    strategy: location.search.get('strategy') ?? '',
  };
  const cursor = location.search.get('cursor') ?? '';
  // The page size is part of the link too (`?limit=`), so a shared link shows the same page.
  const limit = /^[1-9][0-9]{0,2}$/.test(location.search.get('limit') ?? '') ? location.search.get('limit')! : '25';
  const path = `/operations${query({ ...filters, cursor, limit })}`;
  const list = useLoad(() => get<OperationList>(path), path);
  const apply = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    navigate(
      `/operations${query({ status: String(form.get('status') ?? ''), type: String(form.get('type') ?? ''), strategy: String(form.get('strategy') ?? '').trim() })}`,
    );
  };
  return (
    <section>
      <h1>Operations</h1>
      <form class="filters" onSubmit={apply} aria-label="Filter operations" key={`${filters.status}|${filters.type}|${filters.strategy}`}>
        <label>
          Status
          <select name="status" value={filters.status}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" value={filters.type}>
            <option value="">any</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Strategy
          <input name="strategy" value={filters.strategy} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <Show loaded={list}>
        {(page) => (
          <>
            <p class="muted">{page.total} matching, newest first</p>
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Operation</th>
                    <th>Type</th>
                    <th>Strategy</th>
                    <th>Status</th>
                    <th>Progress</th>
                    <th>Created</th>
                    <th>Duration</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((op) => (
                    <tr key={op.operation_id}>
                      <td>
                        <a href={`/operations/${encodeURIComponent(op.operation_id)}`}>{op.operation_id}</a>
                      </td>
                      <td>{op.type}</td>
                      <td>{op.strategy}</td>
                      <td>
                        <StatusBadge status={op.status} />
                      </td>
                      <td>{op.progress ? pct(op.progress.percent / 100, 0) : '–'}</td>
                      <td>{when(op.created_at)}</td>
                      <td>{duration(op.duration_seconds)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p class="pager">
              {cursor !== '' && <a href={`/operations${query({ ...filters, limit: location.search.get('limit') })}`}>First page</a>}{' '}
              {page.next_cursor !== null && (
                <a href={`/operations${query({ ...filters, limit: location.search.get('limit'), cursor: page.next_cursor })}`}>Next page</a>
              )}
            </p>
          </>
        )}
      </Show>
    </section>
  );
}
