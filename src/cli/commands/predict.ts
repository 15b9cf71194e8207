import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.js';
import { MarketDataRepository } from '../../data/repository.js';
import { predictFromCsv, predictFromStore, type Prediction } from '../../models/inference.js';
import { FileModelStore } from '../../models/model-store.js';
import { integerOption, table } from '../format.js';

interface PredictOptions {
  version?: string;
  data?: string;
  symbol?: string;
  timeframe?: string;
  start?: string;
  end?: string;
  last?: string;
  json?: boolean;
}

/** `ktrdr predict <strategy>`: BUY/HOLD/SELL signals from a stored model on stored bars or a CSV file. */
export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('Load a trained model and print its signals for each bar')
    .argument('<strategy>', 'strategy name')
    .option('--version <n>', 'model version (default: latest)')
    .option('--data <file.csv>', 'bars from a CSV file (timestamp,open,high,low,close,volume) instead of the data directory')
    .option('--symbol <symbol>', "symbol in the data directory (default: the model's first symbol)")
    .option('--timeframe <tf>', "timeframe (must be the model's base timeframe)")
    .option('--start <date>', 'first bar to print, inclusive')
    .option('--end <date>', 'last bar to use, inclusive')
    .option('--last <k>', 'print only the newest K bars')
    .option('--json', 'print JSON', false)
    .action(async (strategy: string, options: PredictOptions) => {
      const settings = loadSettings();
      const store = new FileModelStore(settings.modelsDir);
      const version =
        options.version === undefined ? undefined : integerOption('--version', options.version.replace(/^v/, ''), 1, Number.MAX_SAFE_INTEGER);
      const last = options.last === undefined ? undefined : integerOption('--last', options.last, 1, 10_000_000);
      let result: { version: number | null; symbol: string; predictions: Prediction[] };
      if (options.data) {
        const stored = await store.load(strategy, version);
        result = predictFromCsv(stored, await readFile(options.data), {
          file: options.data,
          symbol: options.symbol ?? basename(options.data).replace(/\.csv$/i, ''),
          timeframe: options.timeframe,
          start: options.start,
          end: options.end,
          last,
        });
      } else {
        const symbol = options.symbol ?? (await store.load(strategy, version)).artifact.manifest.symbols[0];
        result = await predictFromStore(store, new MarketDataRepository(settings.dataDir), {
          strategy,
          version,
          symbol,
          timeframe: options.timeframe,
          start: options.start,
          end: options.end,
          last,
        });
      }
      if (options.json) {
        process.stdout.write(JSON.stringify({ strategy, ...result }, null, 2) + '\n');
        return;
      }
      if (result.predictions.some((p) => p.predicted_return !== undefined)) {
        // A regression model: the predicted return is the output; the signal follows from its cost model.
        const rows = result.predictions.map((p) => [p.timestamp, p.signal, (p.predicted_return ?? NaN).toExponential(3)]);
        process.stdout.write(`${strategy} v${result.version} on ${result.symbol}: ${rows.length} bars\n`);
        process.stdout.write(table(['TIMESTAMP', 'SIGNAL', 'PREDICTED_RETURN'], rows));
        return;
      }
      const rows = result.predictions.map((p) => [
        p.timestamp,
        p.signal,
        p.confidence.toFixed(3),
        p.probabilities.BUY.toFixed(3),
        p.probabilities.HOLD.toFixed(3),
        p.probabilities.SELL.toFixed(3),
      ]);
      process.stdout.write(`${strategy} v${result.version} on ${result.symbol}: ${rows.length} bars\n`);
      process.stdout.write(table(['TIMESTAMP', 'SIGNAL', 'CONFIDENCE', 'P_BUY', 'P_HOLD', 'P_SELL'], rows));
    });
}
