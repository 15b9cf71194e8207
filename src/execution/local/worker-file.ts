import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KtrdrError } from '../../errors.js';
import { projectRoot } from '../../util/package-info.js';

/** The worker entries in this directory: one per kind of run. */
export type WorkerFileName = 'training-worker.js' | 'backtest-worker.js';

/**
 * A compiled worker entry (the training worker unless named). Worker threads need JavaScript: from `dist/` it sits
 * next to this module; from the TypeScript sources (vitest) it is the build output under the project root, which
 * `npm test` builds first.
 */
export function resolveWorkerFile(moduleUrl: string = import.meta.url, workerFile: WorkerFileName = 'training-worker.js'): URL {
  const here = fileURLToPath(moduleUrl);
  const file = here.endsWith('.ts')
    ? join(projectRoot(), 'dist', 'src', 'execution', 'local', workerFile)
    : fileURLToPath(new URL(`./${workerFile}`, moduleUrl));
  if (!existsSync(file)) {
    throw new KtrdrError('INTERNAL', `the compiled ${workerFile.replace('-worker.js', '')} worker is missing: ${file}`, {
      details: { file },
      hint: 'run `npm run build` (local trainings and backtests run in worker threads, which load compiled JavaScript)',
    });
  }
  return pathToFileURL(file);
}
