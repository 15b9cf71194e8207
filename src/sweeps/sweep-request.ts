import type { StartSweepRequest, SweepResponse } from '../contracts/sweeps.js';
import type { StartSweepParams, SweepReport } from './sweep-service.js';
import { tableToJson } from './results-table.js';

/** A parsed `POST /sweeps` body (or sweep file) in domain terms. */
export function sweepParamsFromRequest(body: StartSweepRequest, startedBy?: string): StartSweepParams {
  return {
    strategyName: body.strategy_name,
    axes: Object.entries(body.params).map(([path, values]) => ({ path, values })),
    seeds: body.seeds,
    search: body.search === 'random' ? { kind: 'random', samples: body.samples ?? 1, seed: body.search_seed } : { kind: 'grid' },
    objective: body.objective,
    maxParallel: body.max_parallel,
    epochs: body.epochs,
    executionMode: body.execution_mode,
    requireGpu: body.require_gpu,
    startedBy,
  };
}

/** The wire form of a sweep's report (`GET /sweeps/{id}`, `ktrdr sweep --json`). */
export function sweepView(report: SweepReport): SweepResponse {
  const { sweep } = report;
  const configurations = tableToJson(report.configurations) as SweepResponse['configurations'];
  return {
    operation_id: sweep.id,
    strategy: sweep.strategy,
    status: sweep.status,
    objective: report.objective,
    direction: report.direction,
    total: report.total,
    finished: report.finished,
    progress: sweep.progress,
    created_at: sweep.created_at,
    finished_at: sweep.finished_at,
    best: configurations[0]?.rank === 1 ? configurations[0] : null,
    configurations,
  };
}
