import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeAllows, SCOPES, TokenStore, type Scope } from '../../src/auth/token-store.js';
import { spxStrategy, waitFor } from '../helpers/strategies.js';
import { memoryLogger, startTestBackend, startTraining, type TestBackend } from '../helpers/test-backend.js';

/**
 * Every route of the OpenAPI document × every kind of credential × both access modes. The expected answer comes from
 * the document itself (`security`, `x-ktrdr-scope`), so a route added later is covered without touching this file, and
 * a refusal must leave operations, models, configuration and tokens exactly as they were.
 */

type Credential = 'none' | Scope | 'revoked' | 'wrong';
const CREDENTIALS: readonly Credential[] = ['none', ...SCOPES, 'revoked', 'wrong'];

interface DocumentedRoute {
  readonly method: string;
  readonly path: string;
  /** 'public', 'host', or the API token scope the route needs. */
  readonly access: 'public' | 'host' | Scope;
  readonly documentedStatuses: ReadonlySet<number>;
  readonly hasBody: boolean;
}

interface OpenApiOperation {
  readonly security: readonly Record<string, unknown>[];
  readonly 'x-ktrdr-scope'?: Scope;
  readonly requestBody?: unknown;
  readonly responses: Record<string, unknown>;
}

function documentedRoutes(doc: { paths: Record<string, Record<string, OpenApiOperation>> }): DocumentedRoute[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      access: operation['x-ktrdr-scope'] ?? (operation.security.length === 0 ? 'public' : 'host'),
      documentedStatuses: new Set(
        Object.keys(operation.responses)
          .filter((key) => key !== 'default')
          .map(Number),
      ),
      hasBody: operation.requestBody !== undefined,
    })),
  );
}

/** What the access layer must answer: null = let through (the route then answers on its own terms). */
function expectedRefusal(route: DocumentedRoute, credential: Credential, tokensRequired: boolean): 401 | 403 | null {
  if (route.access === 'public') return null;
  // Host endpoints take KTRDR_HOST_TOKEN only (unset here, so they refuse everyone): an API token is never a host token.
  if (route.access === 'host') return 401;
  if (!tokensRequired) return null;
  if (credential === 'none' || credential === 'revoked' || credential === 'wrong') return 401;
  return scopeAllows(credential, route.access) ? null : 403;
}

describe('route × token × mode access table', () => {
  const strategy = 'access_tiny';
  for (const mode of ['loopback open', 'network'] as const) {
    describe(mode, () => {
      let server: TestBackend;
      let tokens: Record<Credential, string | undefined>;
      let routes: DocumentedRoute[];
      let runningId: string;
      const log = memoryLogger('debug');

      beforeAll(async () => {
        server = await startTestBackend(
          { [strategy]: spxStrategy(strategy) },
          // The table sends ~50 wrong tokens on purpose; the 429 limit has its own test in auth.test.ts.
          { listenHost: mode === 'network' ? '0.0.0.0' : undefined, failedLogins: { limit: 10_000, windowMs: 60_000 }, logger: log.logger },
        );
        tokens = { none: undefined, read: undefined, train: undefined, admin: undefined, revoked: undefined, wrong: undefined };
        if (mode === 'network') {
          const store = new TokenStore(server.dirs.home);
          for (const scope of SCOPES) tokens[scope] = store.create(`table-${scope}`, scope).token;
          tokens.revoked = store.create('table-revoked', 'admin').token;
          store.revoke('table-revoked');
          tokens.wrong = `${tokens.admin!.slice(0, -4)}AAAA`;
          store.close();
        } else {
          // Open mode: no token exists, so any token is simply ignored.
          tokens.wrong = 'ktrdr_0000000000000000_not-a-real-token';
        }
        const doc = await server.http('GET', '/api/v1/openapi.json', { headers: authorization(tokens.read) });
        expect(doc.status).toBe(200);
        routes = documentedRoutes(doc.body as { paths: Record<string, Record<string, OpenApiOperation>> });
        expect(routes.length).toBeGreaterThan(20);
        // A long training in flight, so a refused cancel or save has something to change.
        runningId = await startTraining(server, { strategy_name: strategy, epochs: 5000 }, authorization(tokens.admin));
        await waitFor(async () => (await operationStatus()) === 'running' || undefined, `${runningId} to run`);
      });
      afterAll(async () => server?.close());

      async function operationStatus(): Promise<string> {
        const operation = await server.http('GET', `/api/v1/operations/${runningId}`, { headers: authorization(tokens.read) });
        return (operation.body as { status: string }).status;
      }

      function authorization(token: string | undefined): Record<string, string> {
        return token === undefined ? {} : { authorization: `Bearer ${token}` };
      }

      /** A request that would change state if let through: real ids and valid bodies where the route has one. */
      function sampleRequest(route: DocumentedRoute): { url: string; json?: unknown } {
        const values: Record<string, string> = { id: runningId, name: strategy, strategy, version: 'v1', symbol: 'SPX', timeframe: '1d' };
        const url = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? 'x');
        const bodies: Record<string, unknown> = {
          'POST /api/v1/trainings/start': { strategy_name: strategy, epochs: 1 },
          'PUT /api/v1/trainings/config': { default_execution_mode: 'local' },
        };
        const key = `${route.method} ${route.path}`;
        return { url, ...(route.hasBody ? { json: bodies[key] ?? {} } : {}) };
      }

      /** Every body the server answered with (event streams excepted), to look for tokens in. */
      const answers: string[] = [];

      /** The status; the body is kept, except an event stream's, which is dropped once its headers are out. */
      async function statusOf(route: DocumentedRoute, credential: Credential): Promise<number> {
        const sample = sampleRequest(route);
        const headers: Record<string, string> = authorization(tokens[credential]);
        if (sample.json !== undefined) headers['content-type'] = 'application/json';
        const response = await fetch(`${server.url}${sample.url}`, {
          method: route.method,
          headers,
          body: sample.json === undefined ? undefined : JSON.stringify(sample.json),
        });
        if (response.headers.get('content-type')?.startsWith('text/event-stream') === true) await response.body?.cancel();
        else answers.push(await response.text());
        return response.status;
      }

      async function state(): Promise<unknown> {
        const asAdmin = { headers: authorization(tokens.admin) };
        const operations = (await server.http('GET', '/api/v1/operations?limit=100', asAdmin)).body as {
          data: { operation_id: string; status: string }[];
        };
        const store = new TokenStore(server.dirs.home);
        const tokenList = store.list().map((t) => [t.name, t.scope]);
        store.close();
        return {
          operations: operations.data.map((o) => [o.operation_id, o.status]),
          models: (await server.http('GET', '/api/v1/models', asAdmin)).body,
          config: (await server.http('GET', '/api/v1/trainings/config', asAdmin)).body,
          tokens: tokenList,
        };
      }

      it('refuses exactly where the document says, and a refusal changes nothing', async () => {
        const before = await state();
        const mismatches: string[] = [];
        let refusals = 0;
        for (const route of routes) {
          for (const credential of CREDENTIALS) {
            const expected = expectedRefusal(route, credential, mode === 'network');
            if (expected === null) continue;
            refusals += 1;
            const status = await statusOf(route, credential);
            if (status !== expected) mismatches.push(`${route.method} ${route.path} with ${credential}: ${status}, expected ${expected}`);
            if (!route.documentedStatuses.has(status)) mismatches.push(`${route.method} ${route.path}: ${status} is not documented`);
          }
        }
        expect(mismatches).toEqual([]);
        expect(refusals).toBeGreaterThan(mode === 'network' ? 80 : 3);
        expect(await state()).toEqual(before);
        expect(await operationStatus()).toBe('running');
      });

      it('lets every allowed credential through to the route, which answers with a documented status', async () => {
        const mismatches: string[] = [];
        for (const route of routes) {
          // Cancel last: the other routes use the running operation.
          if (route.method === 'DELETE') continue;
          for (const credential of CREDENTIALS) {
            if (expectedRefusal(route, credential, mode === 'network') !== null) continue;
            const status = await statusOf(route, credential);
            if (status === 401 || status === 403) mismatches.push(`${route.method} ${route.path} with ${credential}: refused with ${status}`);
            else if (!route.documentedStatuses.has(status))
              mismatches.push(`${route.method} ${route.path} with ${credential}: ${status} is not documented`);
          }
        }
        expect(mismatches).toEqual([]);
        const cancel = await server.http('DELETE', `/api/v1/operations/${runningId}`, { headers: authorization(tokens.train) });
        expect(cancel.status).toBe(202);
      });

      it('never shows a token: not in logs, operation records, error bodies or the OpenAPI document', async () => {
        const asAdmin = { headers: authorization(tokens.admin) };
        const operations = await server.http('GET', '/api/v1/operations?limit=100', asAdmin);
        const records = await Promise.all(
          (operations.body as { data: { operation_id: string }[] }).data.map(async (o) => [
            (await server.http('GET', `/api/v1/operations/${o.operation_id}`, asAdmin)).text,
            (await server.http('GET', `/api/v1/operations/${o.operation_id}/logs`, asAdmin)).text,
          ]),
        );
        const haystacks = {
          logs: JSON.stringify(log.records),
          records: records.flat().join('\n'),
          answers: answers.join('\n'),
          openapi: (await server.http('GET', '/api/v1/openapi.json', asAdmin)).text,
        };
        expect(answers.length).toBeGreaterThan(50);
        expect(log.records.length).toBeGreaterThan(0);
        // The secret part of each token (`ktrdr_<id>_<secret>`); the public id may appear in a refusal.
        const secrets = Object.values(tokens)
          .filter((token): token is string => token !== undefined)
          .map((token) => token.slice(-43));
        for (const [where, text] of Object.entries(haystacks)) {
          for (const secret of secrets) expect(text.includes(secret), `a token secret in ${where}`).toBe(false);
        }
      });
    });
  }
});
