import type { Command } from 'commander';
import { pino } from 'pino';
import { isLoopbackHost } from '../../api/access.js';
import { startServer } from '../../api/backend.js';
import { loadSettings } from '../../config/settings.js';
import { hostTokenFromEnv } from '../../execution/hosts/host-settings.js';
import { readTlsFiles } from '../../http/tls.js';
import { LOG_LEVEL_CHOICES, integerOption, logLevelOption } from '../format.js';
import { untilShutdown } from '../shutdown.js';

/** `KTRDR_ALLOWED_HOSTS=a.example,b.example`: more names the server answers for in `Host` (behind a proxy). */
function allowedHostsFromEnv(): string[] {
  return (process.env.KTRDR_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
}

interface ServeCommandOptions {
  port: string;
  host: string;
  logLevel: string;
  insecure?: boolean;
  insecureHosts?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

/** `ktrdr serve`: the backend API, until SIGINT/SIGTERM; running trainings are cancelled and recorded as such. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the backend API server (trainings run in worker threads of this process or on training hosts: KTRDR_HOSTS, KTRDR_HOST_TOKEN)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '8000')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--log-level <level>', `server log level (${LOG_LEVEL_CHOICES.join(', ')})`, 'info')
    .option('--insecure', 'listen beyond loopback without an admin API token (open while no token exists; trusted networks only)')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--insecure-hosts', 'without KTRDR_HOST_TOKEN, leave the endpoints training hosts call open (trusted networks only)')
    .action(async (options: ServeCommandOptions) => {
      const port = integerOption('--port', options.port, 0, 65535);
      const tls = readTlsFiles(options.tlsCert, options.tlsKey);
      const logger = pino({ level: logLevelOption(options.logLevel) });
      const settings = loadSettings();
      const { backend, url } = await startServer({
        settings,
        port,
        host: options.host,
        logger,
        insecure: options.insecure === true,
        insecureHosts: options.insecureHosts === true,
        allowedHosts: allowedHostsFromEnv(),
        tls,
      });
      if (options.insecure && !isLoopbackHost(options.host))
        logger.warn(
          `--insecure: listening on ${options.host} beyond loopback; while no API token exists, every endpoint is open to anyone who can reach it`,
        );
      if (backend.interrupted.length > 0)
        logger.warn(`${backend.interrupted.length} operation(s) left unfinished by a previous run were marked failed (INTERRUPTED)`);
      if (backend.reattached.length > 0) logger.info(`${backend.reattached.length} run(s) on training hosts re-attached`);
      if (backend.resumed.length > 0) logger.info(`${backend.resumed.length} interrupted training(s) resumed from their checkpoints`);
      if (options.insecureHosts && hostTokenFromEnv() !== undefined)
        logger.warn('--insecure-hosts is ignored: KTRDR_HOST_TOKEN is set, so host endpoints require it');
      else if (options.insecureHosts) logger.warn('--insecure-hosts: the endpoints training hosts call are open to anyone who can reach this server');
      process.stdout.write(`ktrdr server listening on ${url} (API docs: ${url}/api/v1/docs; home ${settings.homeDir})\n`);
      // A second signal exits at once: safe, because the database is crash-safe and the next start marks leftovers
      // INTERRUPTED.
      await untilShutdown(logger);
      await backend.close();
    });
}
