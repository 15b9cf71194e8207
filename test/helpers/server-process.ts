import { spawn, type ChildProcess } from 'node:child_process';
import { OperationSchema, type OperationResponse } from '../../src/contracts/operations.js';
import { cliEntry } from './cli-process.js';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed so far. */
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `ktrdr serve --port 0 [extraArgs]` as a real child process and resolves once it prints where it listens. */
export function startServerProcess(env: Record<string, string>, timeoutMs = 20_000, extraArgs: readonly string[] = []): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), 'serve', '--port', '0', '--log-level', 'warn', ...extraArgs], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start: ${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (https?:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${output}`));
    });
  });
}

/** One JSON request to a server's `/api/v1`, answered with status and parsed body. */
export async function api(server: ServerProcess, method: string, path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: json === undefined ? {} : { 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json),
  });
  return { status: response.status, body: await response.json() };
}

export async function operation(server: ServerProcess, id: string): Promise<OperationResponse> {
  return OperationSchema.parse((await api(server, 'GET', `/operations/${id}`)).body);
}
