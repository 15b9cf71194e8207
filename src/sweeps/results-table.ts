import type { OperationStatus } from '../operations/operation.js';
import { OBJECTIVE_DIRECTION, type Objective } from './objective.js';
import type { Configuration } from './param-grid.js';

/** One training of a sweep as the table shows it. */
export interface TrialRecord {
  readonly configurationId: string;
  readonly seed: number;
  /** Null when the training could not even be started (then `error` says why). */
  readonly operationId: string | null;
  /** `queued` until the sweep has started it. */
  readonly status: OperationStatus | 'queued';
  readonly value: number | null;
  readonly modelVersion: number | null;
  readonly error: { readonly code: string; readonly message: string } | null;
}

/** One configuration across its seeds. */
export interface ConfigurationRow {
  /** 1 = best; null while no seed of it has a value. */
  readonly rank: number | null;
  readonly configurationId: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly mean: number | null;
  /** Sample standard deviation (n - 1) across seeds; null below two values. */
  readonly std: number | null;
  /** Seeds with a value. */
  readonly completed: number;
  readonly failed: number;
  readonly trials: readonly TrialRecord[];
}

/**
 * Groups the trials by configuration and ranks the configurations by the mean objective across seeds (lowest loss,
 * highest accuracy or Sharpe first). A failed training counts in `failed` and contributes no value; it does not
 * sink the whole configuration, which is ranked on the seeds that finished.
 */
export function rankConfigurations(
  configurations: readonly Configuration[],
  trials: readonly TrialRecord[],
  objective: Objective,
): ConfigurationRow[] {
  const sign = OBJECTIVE_DIRECTION[objective] === 'min' ? 1 : -1;
  const rows = configurations.map((configuration) => {
    const own = trials.filter((t) => t.configurationId === configuration.id);
    const values = own.map((t) => t.value).filter((v): v is number => v !== null);
    return {
      configurationId: configuration.id,
      params: configuration.params,
      mean: values.length > 0 ? mean(values) : null,
      std: sampleStd(values),
      completed: values.length,
      failed: own.filter((t) => t.status === 'failed').length,
      trials: own,
    };
  });
  const ranked = rows
    .filter((r) => r.mean !== null)
    .sort((a, b) => sign * (a.mean! - b.mean!) || a.configurationId.localeCompare(b.configurationId, 'en', { numeric: true }));
  return [...ranked.map((row, i) => ({ rank: i + 1, ...row })), ...rows.filter((r) => r.mean === null).map((row) => ({ rank: null, ...row }))];
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

function sampleStd(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  return Math.sqrt(values.reduce((sum, v) => sum + (v - m) ** 2, 0) / (values.length - 1));
}

/** The table as stored on the sweep's result and sent over HTTP (snake_case). */
export function tableToJson(rows: readonly ConfigurationRow[]): Record<string, unknown>[] {
  return rows.map((row) => ({
    rank: row.rank,
    configuration_id: row.configurationId,
    params: row.params,
    mean: row.mean,
    std: row.std,
    completed: row.completed,
    failed: row.failed,
    trials: row.trials.map((t) => ({
      seed: t.seed,
      operation_id: t.operationId,
      status: t.status,
      value: t.value,
      model_version: t.modelVersion,
      error: t.error,
    })),
  }));
}
