import type { TrainingProgress } from '../training/progress.js';
import type { LogRecord } from '../util/logger.js';

/** What a run reports, locally or relayed from a server: the same events feed the same display. */
export type RunEvent =
  | { kind: 'progress'; data: TrainingProgress }
  | { kind: 'log'; data: LogRecord }
  | { kind: 'metric'; data: Record<string, unknown> }
  | { kind: 'status'; data: Record<string, unknown> };

export type DisplayMode = 'tty' | 'plain' | 'json';

export interface ProgressDisplay {
  handle(event: RunEvent): void;
  /** Clears the live bar so final output starts on a clean line. */
  close(): void;
}

export function chooseDisplayMode(options: { json?: boolean }, stream: NodeJS.WriteStream = process.stderr): DisplayMode {
  if (options.json) return 'json';
  return stream.isTTY ? 'tty' : 'plain';
}

/**
 * `tty`: info log lines scroll above one live bar (percent, step, epoch, batch, ETA). `plain`: the info log lines
 * only, so CI logs and pipes get the numbered steps without control characters. `json`: one event per line on stdout.
 */
export function createProgressDisplay(mode: DisplayMode, err: NodeJS.WritableStream = process.stderr, out: NodeJS.WritableStream = process.stdout): ProgressDisplay {
  if (mode === 'json') {
    return { handle: (event) => out.write(JSON.stringify(event) + '\n'), close: () => undefined };
  }
  let barShown = false;
  let lastBar = '';
  const clearBar = () => {
    if (barShown) err.write('\r\x1b[2K');
    barShown = false;
  };
  return {
    handle(event) {
      if (event.kind === 'log') {
        if (event.data.level === 'debug' || event.data.level === 'trace') return;
        clearBar();
        const prefix = event.data.level === 'info' ? '' : `${event.data.level}: `;
        err.write(`${prefix}${event.data.msg}\n`);
        if (mode === 'tty' && lastBar) {
          err.write(lastBar);
          barShown = true;
        }
      } else if (event.kind === 'progress' && mode === 'tty') {
        lastBar = formatBar(event.data);
        err.write(`\r\x1b[2K${lastBar}`);
        barShown = true;
      }
    },
    close: clearBar,
  };
}

const BAR_WIDTH = 24;

export function formatBar(progress: TrainingProgress): string {
  const filled = Math.round((progress.percent / 100) * BAR_WIDTH);
  const parts = [`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${progress.percent.toFixed(1).padStart(5)}%`];
  parts.push(`step ${progress.step_index + 1}/${progress.total_steps}`);
  if (progress.epoch !== undefined && progress.total_epochs !== undefined) parts.push(`epoch ${progress.epoch}/${progress.total_epochs}`);
  if (progress.batch !== undefined && progress.total_batches !== undefined) parts.push(`batch ${progress.batch}/${progress.total_batches}`);
  if (progress.metrics?.val_accuracy !== undefined) parts.push(`val acc ${progress.metrics.val_accuracy.toFixed(3)}`);
  if (progress.eta_seconds !== undefined) parts.push(`ETA ${formatDuration(progress.eta_seconds)}`);
  return parts.join(' · ');
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
