import { Command } from 'commander';
import { packageVersion } from '../util/package-info.js';

/**
 * Builds the `ktrdr` command tree. Each command lives in `commands/<name>.ts` and only parses arguments, calls one
 * service function and prints the result; register new commands here.
 */
export function buildProgram(): Command {
  const program = new Command('ktrdr')
    .description('Train neuro-fuzzy trading strategies and use the resulting models')
    .version(packageVersion())
    .showHelpAfterError();
  return program;
}
