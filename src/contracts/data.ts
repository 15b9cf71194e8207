import { z } from 'zod';
import { SymbolSchema, TimeframeSchema } from './common.js';

/** Path of `GET /api/v1/data/{symbol}/{timeframe}`: names only, validated, so nothing can point outside the data directory. */
export const DataSeriesParamsSchema = z.strictObject({ symbol: SymbolSchema, timeframe: TimeframeSchema });

/** Response header carrying the lower-case hex sha256 of the uncompressed file. */
export const DATA_SHA256_HEADER = 'x-content-sha256';

/** For the docs: the body is the exact CSV bytes, sent with `Content-Encoding: gzip`. */
export const DataSeriesBodySchema = z.string().describe('The `{SYMBOL}_{TF}.csv` file, byte for byte (gzip content encoding)');
