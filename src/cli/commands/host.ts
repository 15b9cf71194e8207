import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { loadSettings } from '../../config/settings.js';
import { KtrdrError } from '../../errors.js';
import { localConcurrency } from '../../execution/local/concurrency.js';
import { hostTokenFromEnv } from '../../execution/hosts/host-settings.js';
import { redactedUrl } from '../../execution/queue/redis-url.js';
import { startHost } from '../../host/host-service.js';
import { readTlsFiles } from '../../http/tls.js';
import { LOG_LEVEL_CHOICES, integerOption, logLevelOption } from '../format.js';
import { untilShutdown } from '../shutdown.js';

interface HostCommandOptions {
  port: string;
  bind: string;
  dataDir?: string;
  cacheDir?: string;
  concurrency?: string;
  backend?: string;
  name?: string;
  insecure?: boolean;
  retention: string;
  register?: boolean;
  advertise?: string;
  logLevel: string;
  queue?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** `ktrdr host`: the training host service, until SIGINT/SIGTERM; running trainings are cancelled on the way out. */
export function registerHostCommand(program: Command): void {
  program
    .command('host')
    .description('Start a training host: runs trainings for a backend (token in KTRDR_HOST_TOKEN)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '5002')
    .option('--bind <address>', 'interface to listen on', '127.0.0.1')
    .option('--data-dir <dir>', "this host's market data (default: KTRDR_DATA_DIR or ./data)")
    .option('--cache-dir <dir>', 'downloaded market data, by hash (default: KTRDR_HOME/host-cache)')
    .option(
      '--concurrency <n>',
      'cores for training (default: KTRDR_LOCAL_CONCURRENCY, else cores - 1); each run holds KTRDR_THREADS_PER_RUN of them',
    )
    .option('--backend <url>', 'backend base URL, for data downloads and --register (default: the origin of each callback_url)')
    .option('--name <name>', 'name recorded in model manifests and sent when registering (default: the host name)')
    .option('--retention <seconds>', 'keep finished runs and their results this long without an acknowledgement', '3600')
    .option('--register', 'register with --backend and repeat it every 5 s as a heartbeat')
    .option('--advertise <url>', 'URL the backend should use for this host (default: http://<bind>:<port>)')
    .option(
      '--queue <redis-url>',
      'cluster mode: pull runs from the BullMQ queues in this Redis instead of listening for a backend (no inbound port)',
    )
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option('--insecure', 'run without KTRDR_HOST_TOKEN: anyone who can reach the port can start trainings')
    .option('--log-level <level>', `log level (${LOG_LEVEL_CHOICES.join(', ')})`, 'info')
    .action(async (options: HostCommandOptions) => {
      // Trimmed exactly as the backend trims it (host-settings.ts), so both sides compare the same bytes.
      const token = hostTokenFromEnv();
      if (token === undefined && !options.insecure) {
        throw new KtrdrError('VALIDATION_FAILED', 'refusing to start a training host without a token: KTRDR_HOST_TOKEN is not set', {
          hint: 'set KTRDR_HOST_TOKEN to the secret the backend uses, or pass --insecure to run without authentication',
        });
      }
      const level = logLevelOption(options.logLevel);
      const name = options.name ?? hostname().slice(0, 100);
      if (name.length < 1 || name.length > 100) throw new KtrdrError('VALIDATION_FAILED', `--name must have 1 to 100 characters, got ${name.length}`);
      const settings = loadSettings();
      const logger = pino({ level });
      if (token === undefined) logger.warn('running without KTRDR_HOST_TOKEN (--insecure): every endpoint is open to anyone who can reach it');
      if (options.queue !== undefined) {
        // Loaded here: BullMQ and ioredis take about 0.3 s to load, which every other command would pay.
        const { startQueueHost } = await import('../../host/queue-host.js');
        const queueHost = await startQueueHost({
          redisUrl: redisUrlOption(options.queue),
          dataDir: options.dataDir ? resolve(options.dataDir) : settings.dataDir,
          cacheDir: options.cacheDir ? resolve(options.cacheDir) : join(settings.homeDir, 'host-cache'),
          concurrency: options.concurrency === undefined ? localConcurrency() : integerOption('--concurrency', options.concurrency, 1, 256),
          token,
          backendUrl: options.backend === undefined ? undefined : httpUrlOption('--backend', options.backend),
          name,
          logger,
        });
        const health = queueHost.runs.health();
        process.stdout.write(
          `ktrdr host pulling from queue ${queueHost.queue} at ${redactedUrl(options.queue)} (device ${health.device.name}, capacity ${health.capacity})\n`,
        );
        // Runs in progress go back to the queue for another host.
        await untilShutdown(logger);
        await queueHost.close();
        return;
      }
      const running = await startHost({
        port: integerOption('--port', options.port, 0, 65535),
        bind: options.bind,
        dataDir: options.dataDir ? resolve(options.dataDir) : settings.dataDir,
        cacheDir: options.cacheDir ? resolve(options.cacheDir) : join(settings.homeDir, 'host-cache'),
        concurrency: options.concurrency === undefined ? localConcurrency() : integerOption('--concurrency', options.concurrency, 1, 256),
        token,
        backendUrl: options.backend === undefined ? undefined : httpUrlOption('--backend', options.backend),
        advertiseUrl: options.advertise === undefined ? undefined : httpUrlOption('--advertise', options.advertise),
        name,
        retentionMs: integerOption('--retention', options.retention, 1, 30 * 24 * 3600) * 1000,
        register: options.register === true,
        logger,
        tls: readTlsFiles(options.tlsCert, options.tlsKey),
      });
      const health = running.host.runs.health();
      process.stdout.write(`ktrdr host listening on ${running.url} (device ${health.device.name}, capacity ${health.capacity})\n`);
      // A second signal exits at once: safe, because the backend treats runs it can no longer reach as lost.
      await untilShutdown(logger);
      await running.close();
    });
}

function redisUrlOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KtrdrError('VALIDATION_FAILED', `--queue must be a Redis URL such as redis://127.0.0.1:6379, got '${redactedUrl(value)}'`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new KtrdrError('VALIDATION_FAILED', `--queue must be a redis:// or rediss:// URL, got '${redactedUrl(value)}'`);
  }
  return value;
}

function httpUrlOption(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new KtrdrError('VALIDATION_FAILED', `${option} must be a URL such as http://backend:8000, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new KtrdrError('VALIDATION_FAILED', `${option} must be an http or https URL, got '${value}'`);
  return value.replace(/\/+$/, '');
}
