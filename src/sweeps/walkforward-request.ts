import type { StartWalkForwardRequest, WalkForwardResponse } from '../contracts/walkforwards.js';
import type { Operation } from '../operations/operation.js';
import type { StartWalkForwardParams } from './walkforward-service.js';

/** A parsed `POST /walkforwards` body in domain terms. */
export function walkForwardParamsFromRequest(body: StartWalkForwardRequest, startedBy?: string): StartWalkForwardParams {
  return {
    strategyName: body.strategy_name,
    train: body.train,
    test: body.test,
    step: body.step,
    startDate: body.start_date,
    endDate: body.end_date,
    symbol: body.symbol,
    epochs: body.epochs,
    seed: body.seed,
    maxParallel: body.max_parallel,
    executionMode: body.execution_mode,
    requireGpu: body.require_gpu,
    startedBy,
  };
}

/** The wire form of a walk-forward (`GET /walkforwards/{id}`, `ktrdr walkforward --json`). */
export function walkForwardView(report: { operation: Operation; result: Record<string, unknown> }): WalkForwardResponse {
  const { operation, result } = report;
  const request = operation.request as { symbol: string; train: string; test: string; step: string };
  return {
    operation_id: operation.id,
    strategy: operation.strategy,
    status: operation.status,
    symbol: request.symbol,
    train: request.train,
    test: request.test,
    step: request.step,
    progress: operation.progress,
    created_at: operation.created_at,
    finished_at: operation.finished_at,
    windows: result.windows as WalkForwardResponse['windows'],
    metrics: (result.metrics ?? null) as WalkForwardResponse['metrics'],
    benchmark: (result.benchmark ?? null) as WalkForwardResponse['benchmark'],
    equity: (result.equity ?? null) as WalkForwardResponse['equity'],
  };
}
