import { access } from 'node:fs/promises';
import { KtrdrError } from '../errors.js';
import type { OhlcvSeries } from './ohlcv.js';
import { MarketDataRepository } from './repository.js';
import { resample } from './resample.js';
import { generateSyntheticSeries, type SynthOptions } from './synth.js';

export interface SynthFilesOptions extends SynthOptions {
  /** Higher timeframes to write as exact resamples of the generated series. @defaultValue ['4h', '1d'] */
  readonly resampleTo?: readonly string[];
  /** Replace existing files; without it an existing file is an error. @defaultValue false */
  readonly overwrite?: boolean;
}

export interface WrittenDataFile {
  readonly symbol: string;
  readonly timeframe: string;
  readonly file: string;
  readonly bars: number;
  readonly sha256: string;
}

/**
 * Generates a synthetic series and writes it, plus its resamples, into the repository's directory. All series are
 * built (and every target checked) before the first file is written, so a refusal leaves the directory untouched.
 */
export async function writeSyntheticDataFiles(repository: MarketDataRepository, options: SynthFilesOptions): Promise<WrittenDataFile[]> {
  const base = generateSyntheticSeries(options);
  const series: OhlcvSeries[] = [base, ...(options.resampleTo ?? ['4h', '1d']).filter((tf) => tf !== options.timeframe).map((tf) => resample(base, tf))];
  if (!options.overwrite) {
    for (const s of series) {
      const file = repository.filePath(s.symbol, s.timeframe);
      const exists = await access(file).then(
        () => true,
        () => false,
      );
      if (exists) throw new KtrdrError('FILE_EXISTS', `${file} already exists`, { details: { file }, hint: 'pass --force to overwrite it' });
    }
  }
  const written: WrittenDataFile[] = [];
  for (const s of series) {
    const file = await repository.write(s);
    const sha256 = await repository.sha256(s.symbol, s.timeframe);
    written.push({ symbol: s.symbol, timeframe: s.timeframe, file, bars: s.timestamps.length, sha256 });
  }
  return written;
}
