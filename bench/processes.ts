import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../src/util/package-info.js';

/**
 * Starts `ktrdr <args>` (the built CLI) and resolves once it prints the URL it listens on (or, for a queue host, which
 * listens nowhere, that it pulls from its queue: `url` is then empty).
 */
export function startKtrdr(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(projectRoot(), 'dist/src/cli/main.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)|pulling from queue/.exec(out);
      if (match) resolve({ child, url: match[1] ?? '' });
    });
    child.on('exit', (code) => reject(new Error(`${args[0]} exited (${code}): ${out}`)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** A `redis-server` (noeviction, append-only) on a free loopback port, its files in `dir`. */
export async function startRedisServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.on('error', (error) => reject(new Error(`cannot run redis-server (install the redis-server package): ${error.message}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return { child, url: `redis://127.0.0.1:${port}` };
}
