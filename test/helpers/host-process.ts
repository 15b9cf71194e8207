import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEntry } from './cli-process.js';
import { DATA_DIR } from './strategies.js';

export const HOST_TOKEN = 'remote-test-token-4f1c9a';

export interface HostProcessOptions {
  /** Undefined = `--insecure`. @defaultValue HOST_TOKEN */
  readonly token?: string | null;
  /** The host's own market data; an empty directory makes it download every series. @defaultValue the bundled data */
  readonly dataDir?: string;
  /** @defaultValue 1 */
  readonly concurrency?: number;
  readonly name?: string;
  /** Reuse a port (to bring a host back at the same URL). @defaultValue 0, a free one */
  readonly port?: number;
  readonly extraArgs?: readonly string[];
  readonly env?: Record<string, string>;
  /** A queue host (`--queue <redis-url>`): it listens nowhere, so `url` is empty. */
  readonly queue?: string;
}

/** A real `ktrdr host` child process on a loopback port, with its own cache directory. */
export interface HostProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Its `--cache-dir` (per-run data copies, its own copy of its runs' checkpoints under `checkpoints/`). */
  readonly cacheDir: string;
  readonly exited: Promise<number | null>;
  output(): string;
  /** SIGKILL unless it already exited; removes its cache directory. */
  kill(): Promise<void>;
}

export async function startHostProcess(options: HostProcessOptions = {}): Promise<HostProcess> {
  const root = await mkdtemp(join(tmpdir(), 'ktrdr-hostproc-'));
  const token = options.token === undefined ? HOST_TOKEN : options.token;
  const args = [
    cliEntry(),
    'host',
    '--port',
    String(options.port ?? 0),
    '--data-dir',
    options.dataDir ?? DATA_DIR,
    '--cache-dir',
    join(root, 'cache'),
    '--concurrency',
    String(options.concurrency ?? 1),
    '--name',
    options.name ?? 'test-host',
    '--log-level',
    'warn',
    ...(token === null ? ['--insecure'] : []),
    ...(options.queue !== undefined ? ['--queue', options.queue] : []),
    ...(options.extraArgs ?? []),
  ];
  const env: Record<string, string | undefined> = { ...process.env, KTRDR_HOME: join(root, 'home'), ...options.env };
  if (token === null) delete env.KTRDR_HOST_TOKEN;
  else env.KTRDR_HOST_TOKEN = token;
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`host did not start: ${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (https?:\/\/[^\s]+)|pulling from queue/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] ?? '');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code} before listening: ${output}`));
    });
  });
  return {
    url,
    child,
    cacheDir: join(root, 'cache'),
    exited,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}
