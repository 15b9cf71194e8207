import { get } from '../api';
import { Show, StatusBadge, useLoad } from '../components/status';
import { num, text, when } from '../format';
import type { HostList } from '../../../src/contracts/hosts';
import type { Health } from '../../../src/contracts/health';

export function HostsPage() {
  const hosts = useLoad(() => get<HostList>('/hosts'), 'hosts');
  const health = useLoad(() => get<Health>('/health'), 'health');
  return (
    <section>
      <h1>Hosts</h1>
      <Show loaded={health}>
        {(h) => (
          <p>
            This server: {h.local.device}, {h.local.running}/{h.local.slots} local slots busy, {h.local.queued} queued · version {h.version}
          </p>
        )}
      </Show>
      <Show loaded={hosts}>
        {({ data }) =>
          data.length === 0 ? (
            <p class="muted">No training hosts are configured or registered; runs go to this server's own workers.</p>
          ) : (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Host</th>
                    <th>Health</th>
                    <th>Device</th>
                    <th>Busy / capacity</th>
                    <th>Last seen</th>
                    <th>Latency</th>
                    <th>Last error</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((host) => (
                    <tr key={host.url}>
                      <td>
                        {host.name ?? host.url}
                        <div class="muted">
                          {host.url} ({host.source})
                        </div>
                      </td>
                      <td>
                        <StatusBadge status={host.status} />
                      </td>
                      <td>
                        {host.device
                          ? `${host.device.kind.toUpperCase()} ${host.device.name}, ${host.device.cores} cores, ${(host.device.memory / 2 ** 30).toFixed(0)} GiB`
                          : '–'}
                      </td>
                      <td>
                        {host.busy === null ? '–' : host.busy ? 'busy' : 'free'} · {text(host.active)}/{text(host.capacity)}
                      </td>
                      <td>{when(host.last_seen)}</td>
                      <td>{host.latency_ms === null ? '–' : `${num(host.latency_ms, 0)} ms`}</td>
                      <td>{text(host.error)}</td>
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
