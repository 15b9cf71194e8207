import { z } from 'zod';
import { ErrorBodySchema } from '../contracts/common.js';
import { ERROR_CODES } from '../errors.js';
import { routeAccess, type AnyRoute } from './route.js';

type JsonSchema = Record<string, unknown>;

/**
 * Collects schemas named with `.meta({ id })` into `components.schemas`, so the document names its shapes once and
 * refers to them everywhere else. The same id seen with a different shape (request side vs response side) gets an
 * `Input` suffix rather than silently replacing the other.
 */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const raw = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
    const defs = (raw.$defs ?? {}) as Record<string, JsonSchema>;
    const renames = new Map<string, string>();
    for (const [name, def] of Object.entries(defs)) {
      const existing = this.schemas[name];
      if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(rewriteRefs(def, renames))) renames.set(name, `${name}Input`);
    }
    for (const [name, def] of Object.entries(defs)) this.schemas[renames.get(name) ?? name] = rewriteRefs(def, renames);
    return rewriteRefs(raw, renames);
  }
}

/** Points `#/$defs/X` at `#/components/schemas/X` (or its rename) and drops per-schema `$schema`/`$defs`. */
function rewriteRefs(value: JsonSchema, renames: ReadonlyMap<string, string>): JsonSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (node === null || typeof node !== 'object') return node;
    const out: JsonSchema = {};
    for (const [key, child] of Object.entries(node)) {
      if (key === '$schema' || key === '$defs') continue;
      if (key === '$ref' && typeof child === 'string' && child.startsWith('#/$defs/')) {
        const name = child.slice('#/$defs/'.length);
        out.$ref = `#/components/schemas/${renames.get(name) ?? name}`;
      } else {
        out[key] = walk(child);
      }
    }
    return out;
  };
  return walk(value) as JsonSchema;
}

function parameters(components: Components, schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (schema === undefined) return [];
  const json = components.convert(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

/** The OpenAPI 3.1 document of the routes, generated from the same zod schemas that validate them. */
export function buildOpenApiDocument(routes: readonly AnyRoute[], options: { prefix: string; version: string }): JsonSchema {
  const components = new Components();
  const errorBody = components.convert(ErrorBodySchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `${options.prefix}${route.url}`.replace(/:([A-Za-z_]+)/g, '{$1}');
    const success =
      route.kind === 'json'
        ? { [route.status]: { description: 'Success', content: { 'application/json': { schema: components.convert(route.response, 'output') } } } }
        : {
            200: {
              description: route.responseDescription ?? 'An event stream; each `data:` line is one event as JSON (schema below)',
              content: { [route.contentType]: { schema: components.convert(route.eventSchema, 'output') } },
            },
          };
    const access = routeAccess(route);
    const tokenErrors = access === 'public' || access === 'host' ? [] : ['UNAUTHORIZED', 'FORBIDDEN', 'TOO_MANY_FAILED_LOGINS'];
    const errorCodes = [...new Set(['VALIDATION_FAILED', ...(route.errors ?? []), ...tokenErrors])];
    const statuses = [...new Set(errorCodes.map((code) => ERROR_CODES[code as keyof typeof ERROR_CODES].status))].sort();
    const errors = Object.fromEntries(
      statuses.map((status) => [
        status,
        {
          description: errorCodes.filter((code) => ERROR_CODES[code as keyof typeof ERROR_CODES].status === status).join(', '),
          content: { 'application/json': { schema: errorBody } },
        },
      ]),
    );
    (paths[path] ??= {})[route.method.toLowerCase()] = {
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      security: access === 'public' ? [] : access === 'host' ? [{ hostToken: [] }] : [{ apiToken: [] }, { sessionCookie: [] }],
      ...(access === 'public' || access === 'host' ? {} : { 'x-ktrdr-scope': access }),
      operationId: `${route.method.toLowerCase()}${route.url.replace(/[/:]+([a-z])/gi, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      parameters: [...parameters(components, route.params, 'path'), ...parameters(components, route.query, 'query')],
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: components.convert(route.body, 'input') } } } }
        : {}),
      responses: { ...success, ...errors, default: { description: 'Any error, same body', content: { 'application/json': { schema: errorBody } } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ktrdr backend API',
      version: options.version,
      description:
        'Trains neuro-fuzzy trading strategies as persistent operations. Every error has the body `{"error": {code, message, details?, hint?}}`; codes are listed in docs/errors.md.',
    },
    paths,
    components: {
      schemas: components.schemas,
      securitySchemes: {
        apiToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API token (`ktrdr tokens create`); `x-ktrdr-scope` names the scope a route needs. Required beyond loopback, and on loopback once a token exists.',
        },
        hostToken: { type: 'http', scheme: 'bearer', description: 'KTRDR_HOST_TOKEN, for the endpoints training hosts call' },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'ktrdr_session',
          description:
            'The dashboard session of POST /session, with the scope of its token. Requests that change state must also send the session CSRF token as X-CSRF-Token.',
        },
      },
    },
  };
}

/** A self-contained docs page (no CDN: the server may run offline) that renders the OpenAPI document. */
export function docsPage(openApiUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ktrdr API</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h2{margin-top:2rem;border-bottom:1px solid #ddd}
details{margin:.4rem 0;border:1px solid #e3e3e3;border-radius:4px;padding:.3rem .6rem}
summary{cursor:pointer}
.m{display:inline-block;min-width:4.5rem;font-weight:600}
.GET{color:#0a6}.POST{color:#06c}.PUT{color:#a60}.DELETE{color:#c33}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:12px}
code{background:#f3f3f3;padding:0 .2rem}
</style>
</head>
<body>
<h1>ktrdr API</h1>
<p>Machine-readable document: <a href="${openApiUrl}"><code>${openApiUrl}</code></a></p>
<div id="root">Loading…</div>
<script>
fetch(${JSON.stringify(openApiUrl)}).then(r => r.json()).then(doc => {
  const root = document.getElementById('root');
  root.textContent = '';
  const p = document.createElement('p');
  p.textContent = doc.info.description;
  root.append(p);
  const byTag = {};
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) (byTag[op.tags[0]] ??= []).push({ path, method: method.toUpperCase(), op });
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    const h = document.createElement('h2');
    h.textContent = tag;
    root.append(h);
    for (const { path, method, op } of ops) {
      const d = document.createElement('details');
      const s = document.createElement('summary');
      s.innerHTML = '<span class="m ' + method + '">' + method + '</span> <code></code> ';
      s.querySelector('code').textContent = path;
      s.append(op.summary);
      d.append(s);
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify({ description: op.description, parameters: op.parameters, requestBody: op.requestBody, responses: op.responses }, null, 2);
      d.append(pre);
      root.append(d);
    }
  }
  const h = document.createElement('h2');
  h.textContent = 'schemas';
  root.append(h);
  const pre = document.createElement('pre');
  pre.textContent = JSON.stringify(doc.components.schemas, null, 2);
  root.append(pre);
}).catch(e => { document.getElementById('root').textContent = 'Could not load the OpenAPI document: ' + e; });
</script>
</body>
</html>
`;
}
