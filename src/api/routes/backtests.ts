import {
  BacktestEquityQuerySchema,
  BacktestEquitySchema,
  BacktestSummarySchema,
  BacktestTradesQuerySchema,
  BacktestTradesSchema,
  StartBacktestRequestSchema,
  StartBacktestResponseSchema,
} from '../../contracts/backtests.js';
import { OperationIdParamsSchema } from '../../contracts/operations.js';
import { BACKTEST_MODES } from '../../backtest/json.js';
import type { BacktestService } from '../../trainings/backtest-service.js';
import { principalOf } from '../access.js';
import { jsonRoute, type AnyRoute } from '../route.js';
import type { BacktestResults } from '../services/backtest-results.js';

const RESULT_ERRORS = ['OPERATION_NOT_FOUND', 'RESULT_NOT_READY'] as const;

export function backtestRoutes(backtests: BacktestService, results: BacktestResults): AnyRoute[] {
  return [
    jsonRoute({
      method: 'POST',
      url: '/backtests',
      access: 'train',
      tag: 'backtests',
      summary: 'Start a backtest of a stored model',
      description:
        'Checks the model and version, timeframe, data files, dates and settings (a refusal records nothing), then runs the backtest as an operation of type `backtest` in a worker thread: progress, log lines, SSE events and cancel (`DELETE /operations/{id}`) as for trainings. A range outside the data fails the run with DATA_EMPTY_RANGE.',
      body: StartBacktestRequestSchema,
      status: 202,
      response: StartBacktestResponseSchema,
      errors: ['INVALID_NAME', 'MODEL_NOT_FOUND', 'MODEL_CORRUPT', 'DATA_NOT_FOUND', 'SHUTTING_DOWN'],
      async handle({ body }, request) {
        const operation = await backtests.start({
          strategyName: body.strategy_name,
          version: body.version,
          symbol: body.symbol,
          timeframe: body.timeframe,
          startDate: body.start_date,
          endDate: body.end_date,
          settings: {
            mode: body.mode === undefined ? undefined : BACKTEST_MODES[body.mode],
            feeBps: body.fee_bps,
            slippageBps: body.slippage_bps,
            confidenceThreshold: body.confidence_threshold,
            positionFraction: body.position_fraction,
          },
          startedBy: principalOf(request)?.name,
        });
        return { operation_id: operation.id, status: operation.status };
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/backtests/:id',
      tag: 'backtests',
      summary: "A completed backtest's settings, metrics and buy-and-hold benchmark",
      params: OperationIdParamsSchema,
      status: 200,
      response: BacktestSummarySchema,
      errors: RESULT_ERRORS,
      async handle({ params }) {
        return results.summary(params.id);
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/backtests/:id/trades',
      tag: 'backtests',
      summary: "A completed backtest's trades, a page at a time",
      params: OperationIdParamsSchema,
      query: BacktestTradesQuerySchema,
      status: 200,
      response: BacktestTradesSchema,
      errors: RESULT_ERRORS,
      async handle({ params, query }) {
        return results.trades(params.id, query.offset, query.limit);
      },
    }),
    jsonRoute({
      method: 'GET',
      url: '/backtests/:id/equity',
      tag: 'backtests',
      summary: "A completed backtest's equity curve, downsampled for charts",
      description:
        'The first and last points and, between them, the minimum and maximum of equal buckets, so no drawdown is hidden; the whole curve when `points` is at least its length.',
      params: OperationIdParamsSchema,
      query: BacktestEquityQuerySchema,
      status: 200,
      response: BacktestEquitySchema,
      errors: RESULT_ERRORS,
      async handle({ params, query }) {
        return results.equity(params.id, query.points);
      },
    }),
  ];
}
