import { createBackend, type Backend } from '../api/backend.js';
import { loadSettings } from '../config/settings.js';

/**
 * The backend's services in this process, without listening: what a command without `--server` runs on, so a sweep
 * or walk-forward is recorded in KTRDR_HOME (`ktrdr ops list` shows it) exactly as on a server. Closed after `use`,
 * which cancels whatever is still running.
 */
export async function withEmbeddedBackend<T>(concurrency: number | undefined, use: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = await createBackend({
    settings: loadSettings(),
    concurrency,
    // Local only: a host pushes results to a listening backend, and this one does not listen.
    hosts: { hosts: [], token: undefined, publicUrl: undefined, defaultMode: 'local', run: {} },
  });
  try {
    return await use(backend);
  } finally {
    await backend.close();
  }
}
