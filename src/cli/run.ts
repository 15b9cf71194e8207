import { CommanderError } from 'commander';
import { isKtrdrError } from '../errors.js';
import { buildProgram } from './program.js';

/** Parses and runs one CLI invocation; returns the exit code instead of exiting so tests can call it in-process. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (isKtrdrError(error)) {
      process.stderr.write(`error [${error.code}]: ${error.message}\n`);
      if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
      return 1;
    }
    throw error;
  }
}
