import { describe, expect, it } from 'vitest';
import type { HostHealth } from '../../src/contracts/host-protocol.js';
import type { HostProbe, Probe } from '../../src/execution/hosts/health-probe.js';
import { HostRegistry } from '../../src/execution/hosts/host-registry.js';
import { hostSettingsFromEnv } from '../../src/execution/hosts/host-settings.js';
import { normalizeHostUrl, parseHostList } from '../../src/execution/hosts/host-url.js';

const HEALTH: HostHealth = {
  status: 'ok',
  version: '0.1.0',
  busy: false,
  active: 0,
  capacity: 2,
  device: { kind: 'cpu', name: 'cpu (x)', cores: 4, memory: 1 },
};

/** Answers from a table; counts calls per URL. The registry's own logic is what is under test, not HTTP. */
function tableProbe(answers: Record<string, HostProbe | (() => Promise<HostProbe>)>): Probe & { calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const probe: Probe = async (url) => {
    calls[url] = (calls[url] ?? 0) + 1;
    const answer = answers[url];
    return typeof answer === 'function' ? answer() : answer;
  };
  return Object.assign(probe, { calls });
}
const ok: HostProbe = { ok: true, health: HEALTH, latencyMs: 1, at: 0 };
const down: HostProbe = { ok: false, error: 'ECONNREFUSED', latencyMs: 1, at: 0 };

describe(HostRegistry.name, () => {
  it('should list configured hosts first, with their health after a check', async () => {
    const registry = new HostRegistry({ configured: ['http://b:1/', 'http://a:1'], probe: tableProbe({ 'http://a:1': ok, 'http://b:1': down }) });
    expect(registry.snapshot().map((h) => [h.url, h.status])).toEqual([
      ['http://a:1', 'unknown'],
      ['http://b:1', 'unknown'],
    ]);
    await registry.checkAll();
    const [a, b] = registry.snapshot();
    expect(a).toMatchObject({ status: 'healthy', health: HEALTH, error: null });
    expect(b).toMatchObject({ status: 'unhealthy', health: null, error: 'ECONNREFUSED', lastSeen: null });
  });

  it('should re-check only hosts whose last check is older than the freshness limit, sharing checks in flight', async () => {
    let now = 1000;
    const probe = tableProbe({ 'http://a:1': ok });
    const registry = new HostRegistry({ configured: ['http://a:1'], probe, freshForMs: 2000, now: () => now });
    await Promise.all([registry.refresh(), registry.refresh()]);
    expect(probe.calls['http://a:1']).toBe(1);
    now += 1500;
    await registry.refresh();
    expect(probe.calls['http://a:1']).toBe(1);
    now += 1000;
    await registry.refresh();
    expect(probe.calls['http://a:1']).toBe(2);
  });

  it('should check hosts concurrently, so slow ones cost one timeout in all', async () => {
    const slow = () => new Promise<HostProbe>((resolve) => setTimeout(() => resolve(down), 150));
    const registry = new HostRegistry({
      configured: ['http://a:1', 'http://b:1', 'http://c:1'],
      probe: tableProbe({ 'http://a:1': slow, 'http://b:1': slow, 'http://c:1': slow }),
    });
    const started = performance.now();
    await registry.refresh();
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('should not make a request wait for a host already known to be down; it is re-checked in the background', async () => {
    let now = 0;
    let answer: HostProbe = down;
    const slow = () => new Promise<HostProbe>((resolve) => setTimeout(() => resolve(answer), 200));
    const probe = tableProbe({ 'http://a:1': slow });
    const registry = new HostRegistry({ configured: ['http://a:1'], probe, freshForMs: 2000, now: () => now });
    await registry.refresh();
    now = 5000;
    answer = ok;
    const started = performance.now();
    expect((await registry.refresh())[0].status).toBe('unhealthy');
    expect(performance.now() - started).toBeLessThan(100);
    await registry.stop();
    expect(probe.calls['http://a:1']).toBe(2);
    expect(registry.state('http://a:1')?.status).toBe('healthy');
  });

  it('should take registrations as heartbeats, mark silent ones stale and then drop them; configured hosts stay', async () => {
    let now = 0;
    const registry = new HostRegistry({
      configured: ['http://conf:1'],
      probe: tableProbe({ 'http://conf:1': down, 'http://reg:1': down }),
      staleAfterMs: 30_000,
      forgetAfterMs: 300_000,
      now: () => now,
    });
    expect(registry.register({ url: 'http://reg:1/', name: 'reg' })).toMatchObject({
      created: true,
      host: { url: 'http://reg:1', source: 'registered', name: 'reg' },
    });
    now = 20_000;
    expect(registry.register({ url: 'http://reg:1' }).created).toBe(false);
    now = 45_000;
    expect(registry.state('http://reg:1')).toMatchObject({ lastSeen: 20_000 });
    now = 51_000;
    expect(registry.state('http://reg:1')?.status).toBe('stale');
    now = 400_000;
    expect(registry.snapshot().map((h) => h.url)).toEqual(['http://conf:1']);
    // A later heartbeat brings it back.
    registry.register({ url: 'http://reg:1' });
    expect(registry.snapshot().map((h) => h.url)).toEqual(['http://conf:1', 'http://reg:1']);
  });

  it('should count an answering registered host as seen even when it stops heartbeating', async () => {
    let now = 0;
    const registry = new HostRegistry({ probe: tableProbe({ 'http://reg:1': ok }), staleAfterMs: 30_000, now: () => now });
    registry.register({ url: 'http://reg:1' });
    now = 60_000;
    await registry.checkAll();
    expect(registry.state('http://reg:1')).toMatchObject({ status: 'healthy', lastSeen: 60_000 });
  });

  it('should mark a host unreachable at once when a start could not reach it', async () => {
    const registry = new HostRegistry({ configured: ['http://a:1'], probe: tableProbe({ 'http://a:1': ok }) });
    await registry.checkAll();
    registry.markUnreachable('http://a:1', 'ECONNREFUSED');
    expect(registry.state('http://a:1')).toMatchObject({ status: 'unhealthy', error: 'ECONNREFUSED', health: HEALTH });
  });
});

describe('host settings', () => {
  it('should read hosts, token, public URL, default mode and timeouts from the environment', () => {
    const settings = hostSettingsFromEnv({
      KTRDR_HOSTS: 'http://a:5002/, http://b:5002 http://a:5002',
      KTRDR_HOST_TOKEN: ' secret ',
      KTRDR_PUBLIC_URL: 'http://backend:8000/',
      TRAINING_DEFAULT_MODE: 'host',
      KTRDR_HOST_LOST_AFTER_MS: '3000',
    });
    expect(settings).toMatchObject({
      hosts: ['http://a:5002', 'http://b:5002'],
      token: 'secret',
      publicUrl: 'http://backend:8000',
      defaultMode: 'host',
      run: { lostAfterMs: 3000 },
    });
    expect(hostSettingsFromEnv({})).toMatchObject({ hosts: [], token: undefined, defaultMode: 'auto', run: {} });
  });

  it('should refuse nonsense at start-up with the variable named', () => {
    expect(() => hostSettingsFromEnv({ TRAINING_DEFAULT_MODE: 'gpu' })).toThrow(/TRAINING_DEFAULT_MODE/);
    expect(() => hostSettingsFromEnv({ KTRDR_HOST_LOST_AFTER_MS: '15s' })).toThrow(/KTRDR_HOST_LOST_AFTER_MS/);
    expect(() => hostSettingsFromEnv({ KTRDR_HOSTS: 'ftp://a' })).toThrow(/http or https/);
    expect(() => parseHostList('http://user:pw@a:1')).toThrow(/credentials/);
    expect(normalizeHostUrl('HTTP://Gpu-Box:5002/base/')).toBe('http://gpu-box:5002/base');
  });
});
