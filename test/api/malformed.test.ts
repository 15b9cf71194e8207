import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { spxStrategy } from '../helpers/strategies.js';
import { errorCode, startTestBackend, type TestBackend } from '../helpers/test-backend.js';

interface Malformed {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly json?: unknown;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** Expected status; any 4xx when absent. */
  readonly status?: number;
}

const START = '/api/v1/trainings/start';
const start = (name: string, json: unknown, status = 400): Malformed => ({ name, method: 'POST', path: START, json, status });
const get = (name: string, path: string, status?: number): Malformed => ({ name, method: 'GET', path: `/api/v1${path}`, status });

const CASES: Malformed[] = [
  { name: 'bad JSON', method: 'POST', path: START, body: '{bad', headers: { 'content-type': 'application/json' }, status: 400 },
  { name: 'empty JSON body', method: 'POST', path: START, body: '', headers: { 'content-type': 'application/json' }, status: 400 },
  { name: 'no body at all', method: 'POST', path: START, status: 400 },
  { name: 'text/plain body', method: 'POST', path: START, body: 'strategy_name=x', headers: { 'content-type': 'text/plain' }, status: 415 },
  { name: 'xml body', method: 'POST', path: START, body: '<x/>', headers: { 'content-type': 'application/xml' }, status: 415 },
  { name: 'form body', method: 'POST', path: START, body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415 },
  {
    name: 'huge body',
    method: 'POST',
    path: START,
    body: JSON.stringify({ strategy_name: 'x'.repeat(2 * 1024 * 1024) }),
    headers: { 'content-type': 'application/json' },
    status: 413,
  },
  start('JSON array', []),
  start('JSON null', null),
  start('JSON string', 'spx'),
  start('strategy_name missing', {}),
  start('strategy_name a number', { strategy_name: 42 }),
  start('unknown key', { strategy_name: 'm_tiny', gpu: true }),
  start('symbols empty', { strategy_name: 'm_tiny', symbols: [] }),
  start('symbols a string', { strategy_name: 'm_tiny', symbols: 'SPX' }),
  start('symbol path trick', { strategy_name: 'm_tiny', symbols: ['../etc'] }),
  start('symbol with a slash', { strategy_name: 'm_tiny', symbols: ['a/b'] }),
  start('timeframe unknown unit', { strategy_name: 'm_tiny', timeframes: ['1x'] }),
  start('epochs zero', { strategy_name: 'm_tiny', epochs: 0 }),
  start('epochs fractional', { strategy_name: 'm_tiny', epochs: 1.5 }),
  start('epochs as text', { strategy_name: 'm_tiny', epochs: '5' }),
  start('seed negative', { strategy_name: 'm_tiny', seed: -1 }),
  start('execution_mode unknown', { strategy_name: 'm_tiny', execution_mode: 'gpu' }),
  start('require_gpu not boolean', { strategy_name: 'm_tiny', require_gpu: 'yes' }),
  start('start_date month 13', { strategy_name: 'm_tiny', start_date: '2020-13-01' }),
  start('start_date words', { strategy_name: 'm_tiny', start_date: 'yesterday' }),
  start('start_date February 30', { strategy_name: 'm_tiny', start_date: '2021-02-30' }),
  start('start after the file end_date', { strategy_name: 'm_tiny', start_date: '2020-06-01' }),
  start('start after end', { strategy_name: 'm_tiny', start_date: '2020-02-01', end_date: '2020-01-01' }),
  start('strategy path traversal', { strategy_name: '../etc/passwd' }),
  start('strategy encoded dots', { strategy_name: '%2e%2e' }),
  start('strategy absolute path', { strategy_name: '/etc/passwd' }),
  start('strategy name too long', { strategy_name: 'a'.repeat(200) }),
  get('limit not a number', '/operations?limit=abc', 400),
  get('limit zero', '/operations?limit=0', 400),
  get('limit too big', '/operations?limit=100000', 400),
  get('limit twice', '/operations?limit=1&limit=2', 400),
  get('status unknown', '/operations?status=bogus', 400),
  get('type unknown', '/operations?type=no_such_type', 400),
  get('cursor garbage', '/operations?cursor=garbage', 400),
  get('unknown query key', '/operations?sort=asc', 400),
  get('strategy filter path trick', '/operations?strategy=..%2Fx', 400),
  get('metrics since negative', '/operations/x/metrics?since_epoch=-1', 400),
  get('logs level unknown', '/operations/x/logs?level=loud', 400),
  get('events after negative', '/operations/x/events?after=-5', 400),
  get('bad percent-encoding', '/operations/%ZZ', 400),
  get('operation id too long', `/operations/${'x'.repeat(300)}`),
  get('strategy name with encoded slash', '/strategies/..%2Fsecret', 400),
  get('strategy name encoded dots', '/strategies/%2e%2e'),
  get('strategy dot-dot path', '/strategies/../../etc/passwd'),
  { name: 'validate with encoded traversal', method: 'POST', path: '/api/v1/strategies/%2e%2e%2fsecret/validate', status: 400 },
  get('model version not a number', '/models/m_tiny/abc', 400),
  get('model version zero', '/models/m_tiny/0', 400),
  get('model strategy traversal', '/models/..%2F..%2Fetc/1', 400),
  {
    name: 'predict with a traversal symbol',
    method: 'POST',
    path: '/api/v1/models/m_tiny/predict',
    json: { symbol: '../../etc/passwd' },
    status: 400,
  },
  { name: 'predict without symbol', method: 'POST', path: '/api/v1/models/m_tiny/predict', json: {}, status: 400 },
  { name: 'cancel with a bad reason', method: 'DELETE', path: '/api/v1/operations/x', json: { reason: 5 }, status: 400 },
  get('unknown route', '/nope', 404),
  { name: 'wrong method', method: 'PUT', path: START, json: { strategy_name: 'm_tiny' }, status: 404 },
  // A GET there is a dashboard page (deep link); anything else outside the prefix is an API 404.
  { name: 'outside the API prefix', method: 'POST', path: '/operations', json: {}, status: 404 },
];

describe('backend API: malformed requests', () => {
  let server: TestBackend;

  beforeAll(async () => {
    server = await startTestBackend({ m_tiny: spxStrategy('m_tiny') });
  });
  afterAll(async () => server?.close());

  it(`should answer each of ${CASES.length} malformed requests with a clean 4xx error body and stay up`, async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(50);
    const failures: string[] = [];
    for (const c of CASES) {
      const result = await server.http(c.method, c.path, { json: c.json, body: c.body, headers: c.headers });
      const ok = c.status === undefined ? result.status >= 400 && result.status < 500 : result.status === c.status;
      let code = '';
      try {
        code = errorCode(result);
      } catch {
        failures.push(`${c.name}: no error body: ${result.text.slice(0, 120)}`);
        continue;
      }
      if (!ok) failures.push(`${c.name}: HTTP ${result.status} ${code}, expected ${c.status ?? '4xx'}`);
      else if (!(code in ERROR_CODES) || ERROR_CODES[code as keyof typeof ERROR_CODES].status !== result.status)
        failures.push(`${c.name}: code ${code} does not match HTTP ${result.status}`);
      if (/node_modules|\.ts:\d+|at [A-Za-z]+ \(/.test(result.text)) failures.push(`${c.name}: leaks a stack trace`);
    }
    expect(failures).toEqual([]);

    const health = await server.http('GET', '/api/v1/health');
    expect(health.status).toBe(200);
    const list = await server.http('GET', '/api/v1/operations');
    expect((list.body as { total: number }).total).toBe(0);
  });

  it('should list every validation problem of a body, each with its path', async () => {
    const result = await server.http('POST', START, { json: { strategy_name: 42, epochs: 0, extra: true } });
    expect(result.status).toBe(400);
    const details = (result.body as { error: { details: { in: string; issues: { path: string }[] } } }).error.details;
    expect(details.in).toBe('body');
    expect(details.issues.map((i) => i.path).sort()).toEqual(['', 'epochs', 'strategy_name']);
  });
});
