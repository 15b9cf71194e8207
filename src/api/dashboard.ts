import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { KtrdrError } from '../errors.js';
import { projectRoot } from '../util/package-info.js';

/** Where `npm run build:web` writes the dashboard. */
export function defaultDashboardDir(): string {
  return join(projectRoot(), 'dist', 'web');
}

/**
 * The dashboard's policy: its own scripts, styles and API only. No inline script (the bundle is a file); styles the
 * chart library sets through the DOM are not inline `<style>` and need no exception. Forms post to this origin only.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Vite names every asset under assets/ by its content hash, so a cached copy can never be stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the built dashboard at `/`: hashed assets cached for good, `index.html` revalidated on every load (it names
 * the current assets), and every other non-API path answered with `index.html` so a page's URL works when typed or
 * reloaded. Public: the page itself holds no data, and it has to load for the login form to show.
 */
export function registerDashboard(app: FastifyInstance, options: { readonly dir: string; readonly apiPrefix: string }): void {
  const { dir, apiPrefix } = options;
  const built = existsSync(join(dir, 'index.html'));
  if (built) void app.register(fastifyStatic, { root: dir, serve: false });

  const sendIndex = (reply: FastifyReply) => {
    if (!built) {
      throw new KtrdrError('NOT_FOUND', 'the dashboard is not built', {
        hint: `run \`npm run build\` (it writes ${dir}); the API is under ${apiPrefix}`,
      });
    }
    return reply
      .header('cache-control', 'no-cache')
      .header('content-security-policy', DASHBOARD_CONTENT_SECURITY_POLICY)
      .sendFile('index.html', { cacheControl: false });
  };

  app.get('/', { config: { access: 'public' } }, async (_request, reply) => sendIndex(reply));
  // An API path that matched no route is an API 404 (JSON error body), never the page; and like any API path it is
  // behind the token check, so a caller without one cannot probe which routes exist.
  app.get('/api/*', async (_request, reply) => reply.callNotFound());
  app.get('/*', { config: { access: 'public' } }, async (request, reply) => {
    const path = request.url.split('?')[0];
    if (built && path.startsWith('/assets/') && !path.includes('..')) {
      const file = decodeURIComponent(path.slice(1));
      if (existsSync(join(dir, file))) return reply.header('cache-control', IMMUTABLE).sendFile(file, { cacheControl: false });
      return reply.callNotFound();
    }
    if (built && /^\/[\w.-]+\.(svg|ico|png|txt)$/.test(path) && existsSync(join(dir, path.slice(1)))) {
      return reply.header('cache-control', 'no-cache').sendFile(path.slice(1), { cacheControl: false });
    }
    return sendIndex(reply);
  });
}
