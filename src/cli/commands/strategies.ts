import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.js';
import { featureIds, type Strategy, type StrategyProblem } from '../../config/strategy.js';
import { listStrategies, loadStrategyFile, resolveStrategyPath } from '../../config/strategy-files.js';
import { isKtrdrError } from '../../errors.js';
import { describeLabelSpec } from '../../labels/labeler.js';
import { displayPath, table } from '../format.js';

function problemLine(problem: StrategyProblem): string {
  const where = problem.line !== undefined ? ` (line ${problem.line})` : '';
  return `  ${problem.path ? `${problem.path}: ` : ''}${problem.message}${where}\n`;
}

function problemsOf(error: unknown): StrategyProblem[] {
  if (!isKtrdrError(error) || error.code !== 'STRATEGY_INVALID') return [];
  const details = error.details as { errors?: StrategyProblem[] } | undefined;
  return details?.errors ?? [];
}

function summary(strategy: Strategy): string {
  const { trainingData: data, model, training } = strategy;
  return (
    [
      `  symbols: ${data.symbols.join(', ')}; timeframes: ${data.timeframes.join(', ')} (base ${data.baseTimeframe})` +
        (data.startDate || data.endDate ? `; dates: ${data.startDate ?? 'start'} .. ${data.endDate ?? 'end'}` : ''),
      `  indicators: ${strategy.indicators.length}; fuzzy sets: ${strategy.fuzzySets.length}; features: ${featureIds(strategy).length}`,
      `  model: ${model.type} [${model.hiddenLayers.join(', ')}] ${model.activation}, dropout ${model.dropout}`,
      `  training: ${training.epochs} epochs, batch ${training.batchSize}, lr ${training.learningRate}, labels ${describeLabelSpec(training.labels)}`,
    ].join('\n') + '\n'
  );
}

/** `ktrdr strategies list` and `ktrdr strategies validate <name|path>`. */
export function registerStrategiesCommand(program: Command): void {
  const strategies = program.command('strategies').description('Strategy files (YAML) in the strategies directory');

  strategies
    .command('list')
    .description('List every strategy file with its symbols, timeframes and whether it is valid')
    .option('--dir <dir>', 'strategies directory (default: KTRDR_STRATEGIES_DIR or ./strategies)')
    .action(async (options: { dir?: string }) => {
      const dir = options.dir ?? loadSettings().strategiesDir;
      const listings = await listStrategies(dir);
      if (listings.length === 0) {
        process.stdout.write(`no strategy files in ${dir}\n`);
        return;
      }
      const rows = listings.map(({ name, strategy, error }) => {
        if (strategy) {
          return [strategy.name, 'valid', strategy.trainingData.symbols.join(','), strategy.trainingData.timeframes.join(','), strategy.description];
        }
        const count = problemsOf(error).length;
        const status = count > 0 ? `invalid (${count} problem${count === 1 ? '' : 's'})` : `invalid (${error?.code ?? 'error'})`;
        return [name, status, '-', '-', `run: ktrdr strategies validate ${name}`];
      });
      process.stdout.write(table(['NAME', 'STATUS', 'SYMBOLS', 'TIMEFRAMES', 'DESCRIPTION'], rows));
    });

  strategies
    .command('validate')
    .description('Validate one strategy (a name in the strategies directory, or a path to a .yaml file)')
    .argument('<strategy>', 'strategy name or path')
    .option('--dir <dir>', 'strategies directory (default: KTRDR_STRATEGIES_DIR or ./strategies)')
    .action(async (nameOrPath: string, options: { dir?: string }) => {
      const file = await resolveStrategyPath(nameOrPath, options.dir ?? loadSettings().strategiesDir);
      let strategy: Strategy;
      try {
        strategy = await loadStrategyFile(file);
      } catch (error) {
        const problems = problemsOf(error);
        if (problems.length === 0) throw error;
        process.stdout.write(`${displayPath(file)} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n`);
        for (const problem of problems) process.stdout.write(problemLine(problem));
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`${strategy.name} is valid (${displayPath(file)})\n`);
      process.stdout.write(summary(strategy));
      if (strategy.warnings.length > 0) {
        process.stdout.write('warnings:\n');
        for (const warning of strategy.warnings) process.stdout.write(problemLine(warning));
      }
    });
}
