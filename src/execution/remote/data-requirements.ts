import { join } from 'node:path';
import { parseStrategy } from '../../config/strategy.js';
import type { DataRequirement } from '../../contracts/host-protocol.js';
import { dataFileName } from '../../data/names.js';
import { KtrdrError } from '../../errors.js';
import { requiredTimeframes } from '../../features/index.js';
import { applyOverrides } from '../../training/overrides.js';
import type { FileDigests } from '../../util/file-digests.js';
import type { TrainingJob } from '../executor.js';

/**
 * The market data series a job reads, each named by the sha256 of the backend's file: the strategy's symbols
 * (after overrides) times the timeframes its features read, exactly as the pipeline will load them. The host uses
 * its own copy of a series only when the bytes hash the same, and downloads it otherwise.
 *
 * Fails with the pipeline's own codes (STRATEGY_INVALID, DATA_NOT_FOUND, ...), so a job that could never run on a
 * host fails the same way it would locally, without a round trip.
 */
export async function dataRequirements(job: TrainingJob, dataDir: string, digests: FileDigests): Promise<DataRequirement[]> {
  const yaml = applyOverrides(job.strategyYaml, { ...job.overrides, seed: job.seed });
  const strategy = parseStrategy(yaml, job.strategySource);
  const timeframes = requiredTimeframes(strategy);
  const requirements: DataRequirement[] = [];
  const missing: string[] = [];
  for (const symbol of strategy.trainingData.symbols) {
    for (const timeframe of timeframes) {
      const file = dataFileName(symbol, timeframe);
      const sha256 = await digests.sha256(join(dataDir, file));
      if (sha256 === undefined) missing.push(file);
      else requirements.push({ symbol, timeframe, sha256 });
    }
  }
  if (missing.length > 0) {
    throw new KtrdrError('DATA_NOT_FOUND', `no data file for ${missing.join(', ')} in ${dataDir}`, {
      details: { missing, dir: dataDir },
      hint: 'add the CSV files, or generate test data with `ktrdr data synth`',
    });
  }
  return requirements;
}
