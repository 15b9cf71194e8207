import { Command } from 'commander';
import { packageVersion } from '../util/package-info.js';
import { registerDataCommand } from './commands/data.js';
import { registerFeaturesCommand } from './commands/features.js';
import { registerHostCommand } from './commands/host.js';
import { registerHostsCommand } from './commands/hosts.js';
import { registerIndicatorsCommand } from './commands/indicators.js';
import { registerModelsCommand } from './commands/models.js';
import { registerOpsCommand } from './commands/ops.js';
import { registerBacktestCommand } from './commands/backtest.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerServeCommand } from './commands/serve.js';
import { registerStrategiesCommand } from './commands/strategies.js';
import { registerSweepCommand } from './commands/sweep.js';
import { registerWalkForwardCommand } from './commands/walkforward.js';
import { registerTokensCommand } from './commands/tokens.js';
import { registerTrainCommand } from './commands/train.js';

/**
 * Builds the `ktrdr` command tree. Each command lives in `commands/<name>.ts` and only parses arguments, calls one
 * service function and prints the result; register new commands here.
 */
export function buildProgram(): Command {
  const program = new Command('ktrdr')
    .description('Train neuro-fuzzy trading strategies and use the resulting models')
    .version(packageVersion())
    .showHelpAfterError()
    // Root options only before the subcommand, so `ktrdr predict x --version 3` reaches predict's own --version.
    .enablePositionalOptions()
    // Before any command is added, so every subcommand inherits it: parse errors become return codes in runCli
    // instead of process.exit, which keeps in-process CLI tests alive.
    .exitOverride()
    // `--token` of the commands that talk to a server; the client reads KTRDR_TOKEN, so one place covers them all.
    .hook('preAction', (_program, command) => {
      const token: unknown = command.opts().token;
      if (typeof token === 'string') process.env.KTRDR_TOKEN = token;
    });
  registerStrategiesCommand(program);
  registerDataCommand(program);
  registerIndicatorsCommand(program);
  registerFeaturesCommand(program);
  registerTrainCommand(program);
  registerPredictCommand(program);
  registerBacktestCommand(program);
  registerSweepCommand(program);
  registerWalkForwardCommand(program);
  registerModelsCommand(program);
  registerServeCommand(program);
  registerOpsCommand(program);
  registerHostCommand(program);
  registerHostsCommand(program);
  registerTokensCommand(program);
  return program;
}
