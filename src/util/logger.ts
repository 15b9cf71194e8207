import { pino, type Logger } from 'pino';

export type { Logger };

/** A log record as it travels between worker, host and backend: the pino line, parsed. */
export interface LogRecord {
  time: number;
  level: LogLevel;
  msg: string;
  [key: string]: unknown;
}

/** pino's levels, lowest first: the one list of them (records, the log query, `--log-level`). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const LEVEL_NAMES: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * A pino logger whose every line is also handed to `onRecord` as a parsed record. This is how the pipeline's step
 * logs reach an operation's log, whether the pipeline runs in a worker thread here or on a remote host.
 */
export function createRecordingLogger(onRecord: (record: LogRecord) => void, level: LogLevel = 'debug'): Logger {
  return pino(
    { level, base: undefined, formatters: { level: (_label, number) => ({ level: number }) } },
    {
      write(line: string) {
        const raw = JSON.parse(line) as { level: number } & Record<string, unknown>;
        onRecord({ ...raw, level: LEVEL_NAMES[raw.level] ?? 'info' } as LogRecord);
      },
    },
  );
}

/** A logger that drops everything (library use and tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
