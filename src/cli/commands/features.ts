import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.js';
import { parseStrategy } from '../../config/strategy.js';
import { resolveStrategyPath } from '../../config/strategy-files.js';
import { resolveRange } from '../../data/range.js';
import { MarketDataRepository } from '../../data/repository.js';
import type { OhlcvSeries } from '../../data/ohlcv.js';
import { formatTimestamp } from '../../data/timestamp.js';
import { computeFeatures, requiredTimeframes } from '../../features/index.js';
import { formatLabelDistribution, labelDistribution } from '../../labels/label-classes.js';
import { computeLabels } from '../../labels/labeler.js';
import { labelRows } from '../../training/labelled-rows.js';
import { TRAIN_OPTION_NAMES, applyOverrides, type OverrideNames } from '../../training/overrides.js';
import { displayPath, listOption } from '../format.js';

interface FeaturesOptions {
  symbol?: string;
  timeframe?: string;
  start?: string;
  end?: string;
  out: string;
}

const FEATURES_OPTION_NAMES: OverrideNames = { ...TRAIN_OPTION_NAMES, symbols: '--symbol', timeframes: '--timeframe' };

/** `ktrdr features <strategy> --out file.csv`: the feature matrix and ZigZag labels the network would train on. */
export function registerFeaturesCommand(program: Command): void {
  program
    .command('features')
    .description("Write the strategy's feature matrix with labels as CSV (timestamp, symbol, features..., label)")
    .argument('<strategy>', 'strategy name or path to a .yaml file')
    .option('--symbol <list>', "comma-separated symbols (default: the strategy's)")
    .option('--timeframe <list>', "comma-separated timeframes (default: the strategy's)")
    .option('--start <date>', 'first bar, inclusive')
    .option('--end <date>', 'last bar, inclusive')
    .requiredOption('--out <file.csv>', 'where to write the CSV')
    .action(async (strategyArg: string, options: FeaturesOptions) => {
      const settings = loadSettings();
      const file = await resolveStrategyPath(strategyArg, settings.strategiesDir);
      const overrides = {
        symbols: listOption(options.symbol),
        timeframes: listOption(options.timeframe),
        startDate: options.start,
        endDate: options.end,
      };
      const text = applyOverrides(await readFile(file, 'utf8'), overrides, FEATURES_OPTION_NAMES);
      const strategy = parseStrategy(text, file);
      const data = new MarketDataRepository(settings.dataDir);
      // History before `start` warms the indicators up, exactly as in training; rows are cut to the range after.
      const { startMs } = resolveRange({ start: strategy.trainingData.startDate, end: strategy.trainingData.endDate });
      const range = { end: strategy.trainingData.endDate };
      const lines: string[] = [];
      for (const symbol of strategy.trainingData.symbols) {
        const series = new Map<string, OhlcvSeries>();
        for (const timeframe of requiredTimeframes(strategy)) series.set(timeframe, await data.load(symbol, timeframe, range));
        const matrix = computeFeatures(strategy, series, { startMs });
        if (lines.length === 0) lines.push(['timestamp', 'symbol', ...matrix.names, 'label'].join(','));
        const base = series.get(strategy.trainingData.baseTimeframe)!;
        const labelSet = computeLabels(base, strategy.training.labels);
        const { matrix: rows, values } = labelRows(matrix, labelSet);
        const width = rows.names.length;
        for (let r = 0; r < rows.rows; r++) {
          const cells = [formatTimestamp(rows.timestamps[r]), symbol];
          for (let c = 0; c < width; c++) cells.push(String(rows.values[r * width + c]));
          cells.push(String(values[r]));
          lines.push(cells.join(','));
        }
        const distribution = labelSet.classes
          ? `labels ${formatLabelDistribution(labelDistribution(values, labelSet.classes))}`
          : 'regression targets';
        const unlabelled = matrix.rows - rows.rows;
        process.stderr.write(
          `${symbol}: ${rows.rows} rows x ${width} features (${matrix.droppedRows} warm-up rows dropped${unlabelled > 0 ? `, ${unlabelled} without a label` : ''}); ${distribution}\n`,
        );
      }
      await writeFile(options.out, lines.join('\n') + '\n');
      process.stderr.write(`wrote ${displayPath(options.out)}\n`);
    });
}
