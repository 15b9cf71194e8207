import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KtrdrError } from '../errors.js';
import { formatOhlcvCsv, parseOhlcvCsv } from './csv.js';
import { dataFileName, isValidSymbol } from './names.js';
import type { OhlcvSeries } from './ohlcv.js';
import { filterRange, resolveRange, type DateRange } from './range.js';
import { compareTimeframes, isValidTimeframe } from './timeframe.js';

/** The port the training pipeline reads market data through; `MarketDataRepository` is the file-backed adapter. */
export interface MarketDataSource {
  load(symbol: string, timeframe: string, range?: DateRange): Promise<OhlcvSeries>;
}

export interface DataFileInfo {
  readonly symbol: string;
  readonly timeframe: string;
  /** Absolute path. */
  readonly file: string;
  readonly sizeBytes: number;
}

export interface LoadedData {
  readonly series: OhlcvSeries;
  readonly file: string;
  /** sha256 (hex) of the exact bytes the series was parsed from. */
  readonly sha256: string;
}

const FILE_PATTERN = /^(.+)_([0-9]+[mhdw])\.csv$/;

/**
 * OHLCV CSV files in one directory, one file per (symbol, timeframe): `{dataDir}/{SYMBOL}_{TIMEFRAME}.csv`.
 * Names are validated before they touch the file system (INVALID_NAME), so a symbol can never escape the directory.
 */
export class MarketDataRepository implements MarketDataSource {
  readonly dataDir: string;

  constructor(dataDir: string) {
    this.dataDir = resolve(dataDir);
  }

  filePath(symbol: string, timeframe: string): string {
    return join(this.dataDir, dataFileName(symbol, timeframe));
  }

  /** Bars whose open time lies in the inclusive range (the whole file when no range is given). */
  async load(symbol: string, timeframe: string, range: DateRange = {}): Promise<OhlcvSeries> {
    return (await this.loadWithDigest(symbol, timeframe, range)).series;
  }

  /** Like `load`, plus the file path and the sha256 of the bytes actually parsed (for the model manifest). */
  async loadWithDigest(symbol: string, timeframe: string, range: DateRange = {}): Promise<LoadedData> {
    const file = this.filePath(symbol, timeframe);
    resolveRange(range); // reject malformed dates before reading a possibly large file
    const bytes = await this.readDataFile(file, symbol, timeframe);
    const series = filterRange(parseOhlcvCsv(bytes, { file, symbol, timeframe }), range, file);
    return { series, file, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  async sha256(symbol: string, timeframe: string): Promise<string> {
    const file = this.filePath(symbol, timeframe);
    const bytes = await this.readDataFile(file, symbol, timeframe);
    return createHash('sha256').update(bytes).digest('hex');
  }

  /** Every `{SYMBOL}_{TIMEFRAME}.csv` in the directory, sorted by symbol then timeframe. Other files are ignored. */
  async list(): Promise<DataFileInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dataDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const found: DataFileInfo[] = [];
    for (const name of names) {
      // The symbol may itself contain '_', so the timeframe is whatever follows the last one.
      const match = FILE_PATTERN.exec(name);
      if (!match || !isValidSymbol(match[1]) || !isValidTimeframe(match[2])) continue;
      const file = join(this.dataDir, name);
      const info = await stat(file);
      if (!info.isFile()) continue;
      found.push({ symbol: match[1], timeframe: match[2], file, sizeBytes: info.size });
    }
    return found.sort((a, b) => (a.symbol === b.symbol ? compareTimeframes(a.timeframe, b.timeframe) : a.symbol < b.symbol ? -1 : 1));
  }

  /** Writes a series in the canonical CSV format, atomically (temp file + rename). Returns the path. */
  async write(series: OhlcvSeries): Promise<string> {
    const file = this.filePath(series.symbol, series.timeframe);
    await mkdir(this.dataDir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, formatOhlcvCsv(series));
    await rename(temp, file);
    return file;
  }

  private async readDataFile(file: string, symbol: string, timeframe: string): Promise<Buffer> {
    try {
      return await readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const others = (await this.list()).filter((info) => info.symbol === symbol).map((info) => info.timeframe);
      throw new KtrdrError('DATA_NOT_FOUND', `no data file for ${symbol} ${timeframe}: ${file} does not exist`, {
        details: { file, symbol, timeframe, availableTimeframes: others },
        hint:
          others.length > 0
            ? `${symbol} is available in: ${others.join(', ')}`
            : `put a CSV (timestamp,open,high,low,close,volume) at ${file}, or generate one with 'ktrdr data synth'`,
      });
    }
  }
}
