import { downsampleIndices, pick } from '../../backtest/downsample.js';
import { readBacktestTrades, readEquityCurve } from '../../backtest/result-files.js';
import {
  EQUITY_POINTS_DEFAULT,
  TRADES_LIMIT_DEFAULT,
  type BacktestEquity,
  type BacktestSummary,
  type BacktestTrades,
} from '../../contracts/backtests.js';
import { formatTimestamp } from '../../data/timestamp.js';
import { KtrdrError } from '../../errors.js';
import type { Operation } from '../../operations/operation.js';
import type { OperationStore } from '../../operations/operation-store.js';

/** Read side of backtests: the summary kept on the operation, and the trades and equity curve kept in its files. */
export class BacktestResults {
  constructor(
    private readonly operations: OperationStore,
    /** Where each backtest operation's files are (`BacktestService.resultDir`). */
    private readonly resultDir: (id: string) => string,
  ) {}

  async summary(id: string): Promise<BacktestSummary> {
    const operation = await this.completed(id);
    const { model_version: _none, ...result } = operation.result ?? {};
    return { operation_id: id, status: operation.status, ...(result as Omit<BacktestSummary, 'operation_id' | 'status'>) };
  }

  async trades(id: string, offset = 0, limit = TRADES_LIMIT_DEFAULT): Promise<BacktestTrades> {
    await this.completed(id);
    const trades = await readBacktestTrades(this.resultDir(id));
    return { data: trades.slice(offset, offset + limit), total: trades.length, offset, limit };
  }

  async equity(id: string, points = EQUITY_POINTS_DEFAULT): Promise<BacktestEquity> {
    await this.completed(id);
    const curve = await readEquityCurve(this.resultDir(id));
    // Sampled at the bars the equity keeps, so both curves share one time axis.
    const indices = downsampleIndices(curve.equity, points);
    const sample = (values: Float64Array) => Array.from(indices === null ? values : pick(values, indices));
    const timestamps = indices === null ? curve.timestamps : pick(curve.timestamps, indices);
    return {
      timestamps: Array.from(timestamps, formatTimestamp),
      equity: sample(curve.equity),
      benchmark: curve.benchmark === null ? null : sample(curve.benchmark),
      points: timestamps.length,
    };
  }

  /** The backtest operation, once it has completed; OPERATION_NOT_FOUND for other types, RESULT_NOT_READY before. */
  private async completed(id: string): Promise<Operation> {
    const operation = await this.operations.find(id);
    if (operation === null || operation.type !== 'backtest') {
      throw new KtrdrError('OPERATION_NOT_FOUND', `no backtest with id '${id}'`, {
        details: { operation_id: id, ...(operation !== null ? { type: operation.type } : {}) },
        ...(operation !== null ? { hint: `${id} is a ${operation.type}; see GET /api/v1/operations/${id}` } : {}),
      });
    }
    if (operation.status !== 'completed' || operation.result === null) {
      throw new KtrdrError('RESULT_NOT_READY', `backtest ${id} has no results: it is ${operation.status}`, {
        details: { operation_id: id, status: operation.status, error: operation.error },
      });
    }
    return operation;
  }
}
