import { spawn, type ChildProcess } from 'node:child_process';
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
