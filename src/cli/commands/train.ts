import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { resolveServerUrl } from '../../api/client/backend-client.js';
import { loadSettings } from '../../config/settings.js';
import { KtrdrError } from '../../errors.js';
import { resolveStrategyPath } from '../../config/strategy-files.js';
import { MarketDataRepository } from '../../data/repository.js';
import { detectDevice } from '../../execution/device.js';
import { localConcurrency, localThreadsPerRun } from '../../execution/local/concurrency.js';
import { FileModelStore } from '../../models/model-store.js';
import { TRAIN_OPTION_NAMES, applyOverrides, checkOverrides, type StrategyOverrides } from '../../training/overrides.js';
import { runTraining } from '../../training/pipeline.js';
import { testPeriodLine, testPeriodSummary } from '../../training/test-backtest.js';
import { isRegressionReport, testReportLine } from '../../nn/regression-metrics.js';
import { createRecordingLogger } from '../../util/logger.js';
import { TOKEN_HELP, displayPath, formatNumber, integerOption, listOption } from '../format.js';
import { errorRecord, withJsonErrors } from '../json-errors.js';
import { chooseDisplayMode, createProgressDisplay } from '../progress-display.js';
import { runRemoteTraining } from './remote-train.js';

export interface TrainOptions {
  server?: string;
  detach?: boolean;
  mode?: string;
  requireGpu?: boolean;
  symbols?: string;
  timeframes?: string;
  start?: string;
  end?: string;
  seed?: string;
  epochs?: string;
  json?: boolean;
}

/** Exit status of a run stopped with Ctrl+C, as shells report SIGINT. */
const EXIT_CANCELLED = 130;

/** `ktrdr train <strategy>`: runs the one pipeline in this process and saves the model version. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('Train a strategy on local data and save a new model version')
    .argument('<strategy>', 'strategy name (in the strategies directory) or path to a .yaml file')
    .option('--symbols <list>', "comma-separated symbols (default: the strategy's)")
    .option('--timeframes <list>', "comma-separated timeframes (default: the strategy's)")
    .option('--start <date>', 'first bar, inclusive (ISO date or date-time, UTC)')
    .option('--end <date>', 'last bar, inclusive')
    .option('--seed <n>', "random seed (default: the strategy's training.seed)")
    .option('--epochs <n>', "number of epochs (default: the strategy's)")
    .option('--json', 'print progress, log and metric events as JSON lines', false)
    .option('--server <url>', 'run on a ktrdr backend instead of in this process (or set KTRDR_SERVER)')
    .option('--token <token>', TOKEN_HELP)
    .option('--detach', 'with --server: print the operation id and return instead of following', false)
    .option('--mode <mode>', 'with --server: execution mode auto | local | host')
    .option('--require-gpu', 'with --server: refuse to run without a GPU training host', false)
    .action(async (strategyArg: string, options: TrainOptions) => {
      const onServer = options.server || options.detach || options.mode || options.requireGpu;
      process.exitCode = await withJsonErrors(options.json, () =>
        onServer ? trainOnServer(strategyArg, options) : trainLocally(strategyArg, options),
      );
    });
}

const MODES = ['auto', 'local', 'host'] as const;

/** `--server`: the backend runs the same pipeline (in a worker thread or on a host); this process only follows it. */
async function trainOnServer(strategyName: string, options: TrainOptions): Promise<number> {
  const mode = options.mode;
  if (mode !== undefined && !(MODES as readonly string[]).includes(mode)) {
    throw new KtrdrError('VALIDATION_FAILED', `--mode must be one of ${MODES.join(', ')}, got '${mode}'`);
  }
  const overrides = overridesOf(options);
  // The server checks them too, but would name the request field (start_date) rather than the option typed here.
  checkOverrides(overrides, TRAIN_OPTION_NAMES);
  return runRemoteTraining(
    resolveServerUrl(options.server),
    {
      strategy_name: strategyName,
      symbols: overrides.symbols && [...overrides.symbols],
      timeframes: overrides.timeframes && [...overrides.timeframes],
      start_date: overrides.startDate,
      end_date: overrides.endDate,
      seed: overrides.seed,
      epochs: overrides.epochs,
      execution_mode: mode as (typeof MODES)[number] | undefined,
      require_gpu: options.requireGpu || undefined,
    },
    { detach: options.detach, mode: options.json ? 'json' : undefined },
  );
}

function overridesOf(options: TrainOptions): StrategyOverrides {
  const overrides: StrategyOverrides = {
    symbols: listOption(options.symbols),
    timeframes: listOption(options.timeframes),
    startDate: options.start,
    endDate: options.end,
    seed: options.seed === undefined ? undefined : integerOption('--seed', options.seed, 0, 0xffffffff),
    epochs: options.epochs === undefined ? undefined : integerOption('--epochs', options.epochs, 1, 100_000),
  };
  return overrides;
}

export async function trainLocally(strategyArg: string, options: TrainOptions): Promise<number> {
  const settings = loadSettings();
  const { seed, ...overrides } = overridesOf(options);
  const file = await resolveStrategyPath(strategyArg, settings.strategiesDir);
  const strategyYaml = await readFile(file, 'utf8');
  // Named as typed (--start), and against the file too (a --start after its end_date); the pipeline would check
  // them again, but name the request fields.
  checkOverrides({ ...overrides, seed }, TRAIN_OPTION_NAMES, strategyYaml);
  const display = createProgressDisplay(chooseDisplayMode(options));
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const { artifact } = await runTraining(
      { strategyYaml: applyOverrides(strategyYaml, { ...overrides, seed }), strategySource: file },
      {
        logger: createRecordingLogger((record) => display.handle({ kind: 'log', data: record })),
        onProgress: (progress) => display.handle({ kind: 'progress', data: progress }),
        onEpoch: (record) => display.handle({ kind: 'metric', data: { ...record } }),
        signal: controller.signal,
        data: new MarketDataRepository(settings.dataDir),
        execution: { mode: 'local', device: detectDevice().name },
        // The cores a run of the server's local executor gets, so the same settings train the same way here.
        threads: localThreadsPerRun(localConcurrency()),
      },
    );
    const saved = await new FileModelStore(settings.modelsDir).save(artifact);
    display.close();
    const { test, backtest } = artifact.metrics;
    if (options.json) {
      process.stdout.write(
        JSON.stringify({ kind: 'result', data: { strategy: artifact.strategy_name, version: saved.version, path: saved.path, test, backtest } }) +
          '\n',
      );
    } else {
      process.stdout.write(
        `Model ${artifact.strategy_name} v${saved.version} saved to ${displayPath(saved.path)}\n` +
          (isRegressionReport(test)
            ? `Test ${testReportLine(test, formatNumber)}\n`
            : `Test accuracy ${formatNumber(test.accuracy)} (majority-class baseline ${formatNumber(test.baseline_accuracy)}), ` +
              `loss ${formatNumber(test.loss)}, weighted F1 ${formatNumber(test.f1_score)}\n`) +
          (backtest ? `${testPeriodLine(testPeriodSummary(backtest), backtest.symbols.length)}\n` : ''),
      );
    }
    return 0;
  } catch (error) {
    display.close();
    if (controller.signal.aborted) {
      process.stderr.write('Training cancelled; no model was saved.\n');
      if (options.json) process.stdout.write(errorRecord({ code: 'CANCELLED', message: 'training cancelled; no model was saved' }));
      return EXIT_CANCELLED;
    }
    throw error;
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}
