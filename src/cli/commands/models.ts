import { testPeriodLine, testPeriodSummary } from '../../training/test-backtest.js';
import { testReportLine } from '../../nn/regression-metrics.js';
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.js';
import { FileModelStore } from '../../models/model-store.js';
import { displayPath, formatNumber, integerOption, table } from '../format.js';

/** `ktrdr models list [strategy]` and `ktrdr models show <strategy> [version]`. */
export function registerModelsCommand(program: Command): void {
  const models = program.command('models').description('Trained model versions in the model store');

  models
    .command('list')
    .description('List model versions, optionally of one strategy')
    .argument('[strategy]', 'strategy name')
    .option('--json', 'print JSON', false)
    .action(async (strategy: string | undefined, options: { json: boolean }) => {
      const listed = await new FileModelStore(loadSettings().modelsDir).list(strategy);
      if (options.json) {
        process.stdout.write(JSON.stringify(listed, null, 2) + '\n');
        return;
      }
      if (listed.length === 0) {
        process.stdout.write(strategy ? `no models for ${strategy}\n` : 'no models yet; train one with `ktrdr train <strategy>`\n');
        return;
      }
      const rows = listed.map((m) => [
        m.strategy,
        `v${m.version}`,
        m.created_at,
        String(m.feature_count),
        formatNumber(m.test_accuracy),
        percentCell(m.test_period?.return),
        percentCell(m.test_period?.buy_and_hold.return),
        m.test_period?.sharpe == null ? '-' : m.test_period.sharpe.toFixed(2),
        percentCell(m.test_period?.max_drawdown),
        displayPath(m.path),
      ]);
      const header = ['STRATEGY', 'VERSION', 'CREATED', 'FEATURES', 'TEST_ACC', 'TEST_RETURN', 'BUY_HOLD', 'SHARPE', 'MAX_DD', 'PATH'];
      process.stdout.write(table(header, rows));
    });

  models
    .command('show')
    .description('Show one model version (default: the latest)')
    .argument('<strategy>', 'strategy name')
    .argument('[version]', 'version number, e.g. 3 or v3')
    .option('--json', 'print the manifest, features and metrics as JSON', false)
    .action(async (strategy: string, versionArg: string | undefined, options: { json: boolean }) => {
      const version = versionArg === undefined ? undefined : integerOption('version', versionArg.replace(/^v/, ''), 1, Number.MAX_SAFE_INTEGER);
      const { version: loaded, path, artifact } = await new FileModelStore(loadSettings().modelsDir).load(strategy, version);
      const { manifest, metrics, features, labels, model } = artifact;
      if (options.json) {
        process.stdout.write(JSON.stringify({ strategy, version: loaded, path, model, manifest, features, labels, metrics }, null, 2) + '\n');
        return;
      }
      const { test } = metrics;
      const lines = [
        `${strategy} v${loaded}  (${displayPath(path)})`,
        `  created:    ${manifest.created_at} on ${manifest.execution.mode} (${manifest.execution.device})${manifest.operation_id ? `, operation ${manifest.operation_id}` : ''}`,
        `  data:       ${manifest.data.map((d) => `${d.symbol} ${d.timeframe} ${d.bars} bars ${d.first.slice(0, 10)}..${d.last.slice(0, 10)}`).join('; ')}`,
        `  model:      mlp ${JSON.stringify(model.spec)} (${model.parameter_count} parameters), seed ${manifest.seed}`,
        `  features:   ${features.names.length} (${features.names.slice(0, 6).join(', ')}${features.names.length > 6 ? ', ...' : ''})`,
        `  labels:     ${labels.source === 'zigzag' ? `zigzag ${labels.zigzag_threshold} on ${labels.price}` : `${labels.source} ${JSON.stringify(labels.params)}`}: ${(labels.classes.length > 0 ? labels.classes : Object.keys(labels.distribution)).map((name) => `${name} ${labels.distribution[name]}`).join(', ')}`,
        `  training:   ${metrics.history.length} epochs, best epoch ${metrics.best_epoch}${metrics.stopped_early ? ' (stopped early)' : ''}; split ${metrics.split.train}/${metrics.split.validation}/${metrics.split.test}`,
        `  test:       ${testReportLine(test, formatNumber)}`,
        ...(metrics.backtest ? [`  backtest:   ${testPeriodLine(testPeriodSummary(metrics.backtest), metrics.backtest.symbols.length)}`] : []),
        ...(metrics.feature_importance
          ? [
              `  importance: ${metrics.feature_importance
                .slice(0, 5)
                // A regression model's losses are squared returns (~1e-5): four decimals would show only zeros.
                .map(
                  (entry) =>
                    `${entry.feature} ${model.spec.outputs === 1 ? entry.loss_increase.toExponential(2) : formatNumber(entry.loss_increase)}`,
                )
                .join(', ')}${metrics.feature_importance.length > 5 ? ', ...' : ''} (validation loss increase when shuffled)`,
            ]
          : []),
        `  strategy:   sha256 ${manifest.strategy_sha256.slice(0, 16)}..., weights sha256 ${manifest.weights_sha256.slice(0, 16)}...`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}

function percentCell(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${(value * 100).toFixed(2)}%`;
}
