import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { freeSlots, selectExecution, type HostCandidate } from '../../src/execution/selection.js';

const cpu = { device: 'cpu', gpu: false };

function host(url: string, overrides: Partial<HostCandidate> = {}): HostCandidate {
  return {
    url,
    name: null,
    status: 'healthy',
    device: { kind: 'cpu', name: 'cpu (test)', cores: 8, memory: 1 },
    capacity: 1,
    active: 0,
    runningHere: 0,
    queuedHere: 0,
    error: null,
    ...overrides,
  };
}
const gpu = (url: string, overrides: Partial<HostCandidate> = {}) =>
  host(url, { device: { kind: 'gpu', name: 'H200', cores: 16, memory: 1 }, ...overrides });

function refusal(call: () => unknown): KtrdrError {
  try {
    call();
  } catch (error) {
    if (error instanceof KtrdrError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe(selectExecution.name, () => {
  it('should run every mode locally while no hosts exist, saying why', () => {
    expect(selectExecution({ mode: 'local', requireGpu: false }, cpu)).toEqual({
      requested: 'local',
      selected: 'local',
      reason: 'local execution requested',
      device: 'cpu',
    });
    expect(selectExecution({ mode: 'auto', requireGpu: false }, cpu)).toMatchObject({
      requested: 'auto',
      selected: 'local',
      reason: expect.stringMatching(/no training hosts/),
    });
    expect(selectExecution({ mode: 'host', requireGpu: false }, cpu)).toMatchObject({
      requested: 'host',
      selected: 'local',
      reason: expect.stringMatching(/fell back to local/),
    });
  });

  it('should refuse require_gpu with HOST_UNAVAILABLE when nothing has a GPU', () => {
    for (const mode of ['auto', 'local', 'host'] as const) {
      const error = refusal(() => selectExecution({ mode, requireGpu: true }, cpu, [host('http://cpu:1')]));
      expect(error.code).toBe('HOST_UNAVAILABLE');
      expect(error.status).toBe(503);
    }
  });

  it('should accept require_gpu when the local device has a GPU', () => {
    expect(selectExecution({ mode: 'auto', requireGpu: true }, { device: 'gpu0', gpu: true })).toMatchObject({ selected: 'local', device: 'gpu0' });
  });

  it('should send host requests to a healthy host, idle before busy, GPU before CPU, most free slots first', () => {
    const busyGpu = gpu('http://busy-gpu:1', { active: 1 });
    const idleCpu = host('http://idle-cpu:1');
    const roomyCpu = host('http://roomy-cpu:1', { capacity: 4, active: 1 });
    const idleGpu = gpu('http://idle-gpu:1');
    const pick = (hosts: HostCandidate[]) => selectExecution({ mode: 'host', requireGpu: false }, cpu, hosts);
    expect(pick([busyGpu, idleCpu, idleGpu])).toMatchObject({
      selected: 'host',
      host: 'http://idle-gpu:1',
      device: 'H200',
      reason: expect.stringMatching(/^host requested: http:\/\/idle-gpu:1 \(GPU H200, 1\/1 slots free\)$/),
    });
    expect(pick([busyGpu, idleCpu, roomyCpu])).toMatchObject({ host: 'http://roomy-cpu:1' });
    expect(pick([busyGpu])).toMatchObject({ host: 'http://busy-gpu:1', reason: expect.stringMatching(/every healthy host is busy; queued for/) });
  });

  it('should count this backend’s own queued and dispatched runs, which health reports only seconds later', () => {
    const stale = gpu('http://g:1', { active: 0, runningHere: 1 });
    expect(freeSlots(stale)).toBe(0);
    expect(freeSlots(gpu('http://g:1', { capacity: 3, active: 1, queuedHere: 1 }))).toBe(1);
    expect(selectExecution({ mode: 'auto', requireGpu: false }, cpu, [stale])).toMatchObject({
      selected: 'local',
      reason: expect.stringMatching(/every GPU training host is busy/),
    });
  });

  it('should fall back to local for host requests when no host is healthy, naming each host’s problem', () => {
    const hosts = [host('http://down:1', { status: 'unhealthy', device: null, error: 'ECONNREFUSED' }), host('http://old:1', { status: 'stale' })];
    const record = selectExecution({ mode: 'host', requireGpu: false }, cpu, hosts);
    expect(record).toEqual({
      requested: 'host',
      selected: 'local',
      device: 'cpu',
      reason:
        'host requested, but no training host is healthy (http://down:1: unhealthy (ECONNREFUSED); http://old:1: stale); fell back to local execution',
    });
    const error = refusal(() => selectExecution({ mode: 'host', requireGpu: true }, cpu, hosts));
    expect(error.details).toMatchObject({
      hosts: [
        { url: 'http://down:1', status: 'unhealthy' },
        { url: 'http://old:1', status: 'stale' },
      ],
    });
  });

  it('should choose an idle healthy GPU host in auto mode, and local otherwise (CPU hosts never)', () => {
    expect(selectExecution({ mode: 'auto', requireGpu: false }, cpu, [host('http://cpu:1'), gpu('http://gpu:1')])).toMatchObject({
      selected: 'host',
      host: 'http://gpu:1',
      reason: expect.stringMatching(/^auto: idle GPU training host/),
    });
    expect(selectExecution({ mode: 'auto', requireGpu: false }, cpu, [host('http://cpu:1')])).toMatchObject({
      selected: 'local',
      reason: expect.stringMatching(/cpu only/),
    });
    // A busy GPU host is still good enough when a GPU is required: the run waits for its slot.
    expect(selectExecution({ mode: 'auto', requireGpu: true }, cpu, [gpu('http://gpu:1', { active: 1 })])).toMatchObject({
      selected: 'host',
      reason: expect.stringMatching(/queued for/),
    });
  });

  it('should keep local requests local whatever the hosts offer', () => {
    expect(selectExecution({ mode: 'local', requireGpu: false }, cpu, [gpu('http://gpu:1')])).toMatchObject({ selected: 'local' });
  });
});
