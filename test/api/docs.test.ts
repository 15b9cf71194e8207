import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBackend, type TestBackend } from '../helpers/test-backend.js';

describe('backend API: OpenAPI document and docs page', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({});
  });
  afterAll(async () => server?.close());

  it('should describe every endpoint, generated from the contracts', async () => {
    const result = await server.http('GET', '/api/v1/openapi.json');
    expect(result.status).toBe(200);
    const doc = result.body as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    const endpoints = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(endpoints.sort()).toEqual(
      [
        'GET /api/v1/health',
        'POST /api/v1/trainings/start',
        'GET /api/v1/operations',
        'GET /api/v1/operations/{id}',
        'GET /api/v1/operations/{id}/metrics',
        'GET /api/v1/operations/{id}/logs',
        'GET /api/v1/operations/{id}/events',
        'DELETE /api/v1/operations/{id}',
        'POST /api/v1/operations/{id}/resume',
        'POST /api/v1/operations/{id}/save',
        'PUT /api/v1/operations/{id}/checkpoint',
        'GET /api/v1/operations/{id}/checkpoint',
        'GET /api/v1/strategies',
        'GET /api/v1/strategies/{name}',
        'POST /api/v1/strategies/{name}/validate',
        'GET /api/v1/models',
        'GET /api/v1/models/{strategy}/{version}',
        'GET /api/v1/models/{strategy}/{version}/files/{file}',
        'POST /api/v1/models/{strategy}/predict',
        'GET /api/v1/trainings/config',
        'PUT /api/v1/trainings/config',
        'POST /api/v1/trainings/{id}/result',
        'GET /api/v1/hosts',
        'POST /api/v1/hosts/register',
        'GET /api/v1/data/{symbol}/{timeframe}',
        'POST /api/v1/backtests',
        'GET /api/v1/backtests/{id}',
        'GET /api/v1/backtests/{id}/trades',
        'GET /api/v1/backtests/{id}/equity',
        'GET /api/v1/session',
        'POST /api/v1/session',
        'DELETE /api/v1/session',
        'POST /api/v1/sweeps',
        'GET /api/v1/sweeps/{id}',
        'POST /api/v1/walkforwards',
        'GET /api/v1/walkforwards/{id}',
      ].sort(),
    );
    const start = doc.paths['/api/v1/trainings/start'].post;
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['202', '400', '404', '422', '503', 'default']));
    expect(start.requestBody).toBeDefined();
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Operation', 'ErrorBody', 'StartTrainingRequest', 'Progress']));
    const backtest = doc.paths['/api/v1/backtests'].post;
    expect(Object.keys(backtest.responses)).toEqual(expect.arrayContaining(['202', '400', '404']));
    expect(Object.keys(doc.paths['/api/v1/backtests/{id}'].get.responses)).toEqual(expect.arrayContaining(['200', '404', '409']));
    // Every $ref points at a schema that exists.
    const refs = [...result.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref);
  });

  it('should serve a self-contained docs page', async () => {
    const page = await server.http('GET', '/api/v1/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('/api/v1/openapi.json');
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg)/);
  });
});
