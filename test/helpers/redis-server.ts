import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real `redis-server` on a free loopback port, in its own directory, with `noeviction` (what cluster mode requires)
 * and the append-only file synced on every write, so a restart, even after SIGKILL, keeps everything acknowledged.
 */
export interface RedisProcess {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGKILL) and starts it again on the same port and data: a Redis restart. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(extraArgs: readonly string[] = [], binary = 'redis-server'): Promise<RedisProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'ktrdr-redis-'));
  const port = await freePort();
  let child: ChildProcess = await launch(binary, port, dir, extraArgs).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await kill();
      child = await launch(binary, port, dir, extraArgs);
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function launch(binary: string, port: number, dir: string, extraArgs: readonly string[]): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
  const child = spawn(binary, [...args, '--maxmemory-policy', 'noeviction', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start: ${output}`));
    }, 10_000);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // Cluster tests need the real server; failing loudly beats skipping them on a machine without it.
      const missing = error.code === 'ENOENT';
      reject(
        new Error(
          missing
            ? 'redis-server is not installed (not found on PATH): the cluster-mode tests need it. Install the `redis-server` package (Debian/Ubuntu: `apt-get install redis-server`)'
            : `cannot run redis-server: ${error.message}`,
        ),
      );
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
