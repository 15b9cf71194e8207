import { join } from 'node:path';
import { KtrdrError } from '../errors.js';
import type { FileDigests } from '../util/file-digests.js';
import { dataFileName } from './names.js';

/** One market data series a run reads, named by the sha256 of its file: what a run's data is, wherever it runs. */
export interface SeriesDigest {
  readonly symbol: string;
  readonly timeframe: string;
  readonly sha256: string;
}

/**
 * The digest of every (symbol, timeframe) series, or `DATA_NOT_FOUND` naming every missing file at once: the one
 * check that a run's data exists, made before anything is recorded so a request that could never run fails at once.
 */
export async function digestSeries(
  symbols: readonly string[],
  timeframes: readonly string[],
  dataDir: string,
  digests: FileDigests,
): Promise<SeriesDigest[]> {
  const found: SeriesDigest[] = [];
  const missing: string[] = [];
  for (const symbol of symbols) {
    for (const timeframe of timeframes) {
      const file = dataFileName(symbol, timeframe);
      const sha256 = await digests.sha256(join(dataDir, file));
      if (sha256 === undefined) missing.push(file);
      else found.push({ symbol, timeframe, sha256 });
    }
  }
  if (missing.length > 0) {
    throw new KtrdrError('DATA_NOT_FOUND', `no data file for ${missing.join(', ')} in ${dataDir}`, {
      details: { missing, dir: dataDir },
      hint: 'add the CSV files, or generate test data with `ktrdr data synth`',
    });
  }
  return found;
}
