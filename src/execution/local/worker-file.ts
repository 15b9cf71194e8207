import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KtrdrError } from '../../errors.js';
import { projectRoot } from '../../util/package-info.js';

const WORKER_FILE = 'training-worker.js';

/**
 * The compiled training worker. Worker threads need JavaScript: from `dist/` it sits next to this module; from the
 * TypeScript sources (vitest) it is the build output under the project root, which `npm test` builds first.
 */
export function resolveWorkerFile(moduleUrl: string = import.meta.url): URL {
  const here = fileURLToPath(moduleUrl);
  const file = here.endsWith('.ts')
    ? join(projectRoot(), 'dist', 'src', 'execution', 'local', WORKER_FILE)
    : fileURLToPath(new URL(`./${WORKER_FILE}`, moduleUrl));
  if (!existsSync(file)) {
    throw new KtrdrError('INTERNAL', `the compiled training worker is missing: ${file}`, {
      details: { file },
      hint: 'run `npm run build` (local training runs in worker threads, which load compiled JavaScript)',
    });
  }
  return pathToFileURL(file);
}
