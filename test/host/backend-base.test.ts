import { describe, expect, it } from 'vitest';
import { backendBaseOf } from '../../src/host/host-runs.js';

describe('backendBaseOf', () => {
  it('should keep a path prefix the backend is served under', () => {
    expect(backendBaseOf('http://proxy:8080/ktrdr/api/v1/trainings/op_1/result')).toBe('http://proxy:8080/ktrdr');
    expect(backendBaseOf('http://127.0.0.1:8000/api/v1/trainings/op_1/result')).toBe('http://127.0.0.1:8000');
  });

  it('should fall back to the origin for a callback outside the API', () => {
    expect(backendBaseOf('http://backend:8000/hooks/result')).toBe('http://backend:8000');
  });
});
