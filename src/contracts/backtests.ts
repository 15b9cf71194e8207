import { z } from 'zod';
import { BacktestModeSchema } from '../backtest/json.js';
import { parseRangeBound } from '../data/timestamp.js';
import { DateInputSchema, IsoTimestampSchema, StrategyNameSchema, SymbolSchema, TimeframeSchema, queryInteger } from './common.js';
import { OperationStatusSchema } from './operations.js';

export const TRADES_LIMIT_DEFAULT = 100;
export const TRADES_LIMIT_MAX = 1000;
export const EQUITY_POINTS_DEFAULT = 1000;
export const EQUITY_POINTS_MAX = 100_000;

const bps = (what: string) => z.number().min(0).max(1000).describe(`${what}, basis points, 0..1000; default 0`);

export const StartBacktestRequestSchema = z
  .strictObject({
    strategy_name: StrategyNameSchema.describe('The strategy whose stored model is backtested'),
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().describe('Model version; default the latest'),
    symbol: SymbolSchema.optional().describe("Default: the model's first training symbol"),
    timeframe: TimeframeSchema.optional().describe("Must be the model's base timeframe (the default)"),
    start_date: DateInputSchema.optional().describe('First bar traded, inclusive; earlier bars only warm the indicators up'),
    end_date: DateInputSchema.optional().describe('Last bar read, inclusive; nothing after it is read'),
    mode: BacktestModeSchema.optional().describe('long_only (default): SELL exits to flat; long_short: SELL goes short'),
    fee_bps: bps('Fee per side, of the traded notional').optional(),
    slippage_bps: bps('Price concession on every fill').optional(),
    confidence_threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe("BUY/SELL below this probability count as HOLD; default the strategy's decisions.confidence_threshold"),
    position_fraction: z.number().gt(0).max(1).optional().describe('Share of equity put into each entry, (0, 1]; default 1'),
  })
  .refine(
    (r) => r.start_date === undefined || r.end_date === undefined || !(parseRangeBound(r.start_date, 'start') > parseRangeBound(r.end_date, 'end')),
    { message: 'start_date must not be after end_date', path: ['end_date'] },
  )
  .meta({ id: 'StartBacktestRequest' });

export const StartBacktestResponseSchema = z
  .object({ operation_id: z.string(), status: OperationStatusSchema })
  .meta({ id: 'StartBacktestResponse' });

export const BacktestSummarySchema = z
  .object({
    operation_id: z.string(),
    status: OperationStatusSchema,
    strategy: z.string(),
    version: z.number().int(),
    symbol: z.string(),
    timeframe: z.string(),
    first_bar: IsoTimestampSchema.describe('First bar traded'),
    last_bar: IsoTimestampSchema,
    bars: z.number().int(),
    trades: z.number().int().describe('Number of trades; the trades themselves: GET /backtests/{id}/trades'),
    settings: z.record(z.string(), z.unknown()).describe('The effective settings, defaults filled in'),
    metrics: z.record(z.string(), z.unknown()).describe('Return and risk metrics of the strategy (see docs/backtest.md)'),
    benchmark: z.record(z.string(), z.unknown()).describe('The same metrics for buy-and-hold on the same bars'),
  })
  .meta({ id: 'BacktestSummary' });

export const BacktestTradesQuerySchema = z.strictObject({
  offset: queryInteger(0, Number.MAX_SAFE_INTEGER).optional().describe('Trades to skip; default 0'),
  limit: queryInteger(1, TRADES_LIMIT_MAX).optional().describe(`Page size, 1..${TRADES_LIMIT_MAX}, default ${TRADES_LIMIT_DEFAULT}`),
});

export const BacktestTradesSchema = z
  .object({
    data: z.array(z.record(z.string(), z.unknown())).describe('Trades in entry order: side, entry/exit time and price, return, pnl, fees, bars held'),
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
  })
  .meta({ id: 'BacktestTrades' });

export const BacktestEquityQuerySchema = z.strictObject({
  points: queryInteger(2, EQUITY_POINTS_MAX)
    .optional()
    .describe(`At most this many points, 2..${EQUITY_POINTS_MAX}, default ${EQUITY_POINTS_DEFAULT}; each bucket keeps its min and max`),
});

export const BacktestEquitySchema = z
  .object({
    timestamps: z.array(IsoTimestampSchema),
    equity: z.array(z.number()).describe('Equity at each bar close, starting from 1'),
    benchmark: z
      .array(z.number())
      .nullable()
      .describe('Buy-and-hold equity at the same bars, from the same start; null for backtests run before it was recorded'),
    points: z.number().int().describe('Points returned (the whole curve when it has no more than asked for)'),
  })
  .meta({ id: 'BacktestEquity' });

export type StartBacktestRequest = z.infer<typeof StartBacktestRequestSchema>;
export type BacktestSummary = z.infer<typeof BacktestSummarySchema>;
export type BacktestTrades = z.infer<typeof BacktestTradesSchema>;
export type BacktestEquity = z.infer<typeof BacktestEquitySchema>;
