import type { Command } from 'commander';
import { BackendClient, resolveServerUrl } from '../../api/client/backend-client.js';
import type { HostView } from '../../contracts/hosts.js';
import { SERVER_HELP, TOKEN_HELP, table } from '../format.js';

/** `ktrdr hosts list`: the training hosts a running `ktrdr serve` knows, with their health. */
export function registerHostsCommand(program: Command): void {
  const hosts = program.command('hosts').description('Training hosts known to a ktrdr server');
  hosts
    .command('list')
    .description('List training hosts: status, device, busy state, last seen')
    .option('--server <url>', SERVER_HELP)
    .option('--token <token>', TOKEN_HELP)
    .option('--json', 'print the list as JSON', false)
    .action(async (options: { server?: string; json?: boolean }) => {
      const list = await new BackendClient(resolveServerUrl(options.server)).listHosts();
      if (options.json) {
        process.stdout.write(`${JSON.stringify(list)}\n`);
        return;
      }
      if (list.data.length === 0) {
        process.stdout.write('no training hosts (configure KTRDR_HOSTS on the server, or start `ktrdr host --register --backend <url>`)\n');
        return;
      }
      const now = Date.now();
      const rows = list.data.map((host) => [
        host.url,
        host.name ?? '-',
        statusCell(host),
        deviceCell(host),
        busyCell(host),
        ago(host.last_seen, now),
      ]);
      process.stdout.write(table(['URL', 'NAME', 'STATUS', 'DEVICE', 'BUSY', 'LAST SEEN'], rows));
      for (const host of list.data) if (host.error !== null) process.stdout.write(`${host.url}: ${host.error}\n`);
    });
}

function statusCell(host: HostView): string {
  return host.source === 'registered' ? `${host.status} (registered)` : host.status;
}

function deviceCell(host: HostView): string {
  if (host.device === null) return '-';
  // Device names usually start with their kind already ("cpu (AMD EPYC)"); say the kind once.
  const { kind, name } = host.device;
  return name.startsWith(kind) ? name : `${kind} ${name}`;
}

function busyCell(host: HostView): string {
  if (host.active === null || host.capacity === null) return '-';
  return `${host.busy ? 'busy' : 'idle'} ${host.active}/${host.capacity}`;
}

function ago(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return seconds < 1 ? 'just now' : `${seconds} s ago`;
}
