import { describe, expect, it } from 'vitest';
import { KtrdrError } from '../../src/errors.js';
import { selectExecution } from '../../src/execution/selection.js';

const cpu = { device: 'cpu', gpu: false };

describe(selectExecution.name, () => {
  it('should run every mode locally while no hosts exist, saying why', () => {
    expect(selectExecution({ mode: 'local', requireGpu: false }, cpu)).toEqual({ requested: 'local', selected: 'local', reason: 'local execution requested', device: 'cpu' });
    expect(selectExecution({ mode: 'auto', requireGpu: false }, cpu)).toMatchObject({ requested: 'auto', selected: 'local', reason: expect.stringMatching(/no training hosts/) });
    expect(selectExecution({ mode: 'host', requireGpu: false }, cpu)).toMatchObject({ requested: 'host', selected: 'local', reason: expect.stringMatching(/fell back to local/) });
  });

  it('should refuse require_gpu with HOST_UNAVAILABLE when nothing has a GPU', () => {
    for (const mode of ['auto', 'local', 'host'] as const) {
      let error: unknown;
      try {
        selectExecution({ mode, requireGpu: true }, cpu);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(KtrdrError);
      expect((error as KtrdrError).code).toBe('HOST_UNAVAILABLE');
      expect((error as KtrdrError).status).toBe(503);
    }
  });

  it('should accept require_gpu when the local device has a GPU', () => {
    expect(selectExecution({ mode: 'auto', requireGpu: true }, { device: 'gpu0', gpu: true })).toMatchObject({ selected: 'local', device: 'gpu0' });
  });
});
