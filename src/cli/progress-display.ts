import type { EpochMetrics, StatusChange } from '../operations/operation.js';
import type { TrainingProgress } from '../training/progress.js';
import type { LogRecord } from '../util/logger.js';

/**
 * What a run reports, locally (`ktrdr train`) or relayed from a server (`train --server`, `ops follow`, fed by the
 * SSE stream): the same events feed the same display, so a user sees the same text wherever the run happened.
 */
export type RunEvent =
  | { readonly kind: 'progress'; readonly data: TrainingProgress }
  | { readonly kind: 'log'; readonly data: LogRecord }
  | { readonly kind: 'metric'; readonly data: EpochMetrics }
  | { readonly kind: 'status'; readonly data: StatusChange };

/** Where a relayed event came from; printed with it in JSON mode. */
export interface EventMeta {
  readonly seq?: number;
  readonly time?: string;
  readonly operation_id?: string;
}

export type DisplayMode = 'tty' | 'plain' | 'json';

export interface ProgressDisplay {
  handle(event: RunEvent, meta?: EventMeta): void;
  /** Prints a line that stays (above the bar on a terminal). Nothing in JSON mode. */
  line(text: string): void;
  /** Clears the live bar so final output starts on a clean line. */
  close(): void;
}

export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressDisplayOptions {
  readonly mode?: DisplayMode;
  /** Where the bar and lines go. @defaultValue process.stderr, so a command's result on stdout stays clean */
  readonly err?: Output;
  /** Where JSON events go. @defaultValue process.stdout (in JSON mode the events are the command's output) */
  readonly out?: Output;
  /** Show debug log lines too. */
  readonly verbose?: boolean;
  readonly now?: () => number;
}

/** At most this often the bar is redrawn, in ms. */
const REDRAW_INTERVAL_MS = 100;
/** In plain output, about this many epoch lines per run, however many epochs it has. */
const EPOCH_LINES_PER_RUN = 20;

export function chooseDisplayMode(options: { json?: boolean }, stream: Output = process.stderr): DisplayMode {
  if (options.json) return 'json';
  return stream.isTTY ? 'tty' : 'plain';
}

/**
 * `tty`: info log lines (the numbered steps among them) scroll above one live bar (percent, step, epoch, batch,
 * ETA). `plain`: the info log lines plus about 20 epoch lines, so CI logs and pipes get the numbered steps without
 * control characters. `json`: one event per line on stdout.
 */
export function createProgressDisplay(modeOrOptions: DisplayMode | ProgressDisplayOptions = {}, err?: Output, out?: Output): ProgressDisplay {
  const options: ProgressDisplayOptions = typeof modeOrOptions === 'string' ? { mode: modeOrOptions, err, out } : modeOrOptions;
  const errStream = options.err ?? process.stderr;
  const mode = options.mode ?? chooseDisplayMode({}, errStream);
  if (mode === 'json') return new JsonDisplay(options.out ?? process.stdout);
  return new LineDisplay(errStream, mode === 'tty', options.verbose ?? false, options.now ?? Date.now);
}

class JsonDisplay implements ProgressDisplay {
  constructor(private readonly out: Output) {}

  handle(event: RunEvent, meta: EventMeta = {}): void {
    this.out.write(`${JSON.stringify({ ...meta, kind: event.kind, data: event.data })}\n`);
  }

  line(): void {}
  close(): void {}
}

class LineDisplay implements ProgressDisplay {
  private barShown = false;
  private lastBar = '';
  private lastDraw = 0;
  private lastStep = -1;
  private totalEpochs: number | undefined;
  private lastEpoch: EpochMetrics | undefined;

  constructor(
    private readonly err: Output,
    private readonly tty: boolean,
    private readonly verbose: boolean,
    private readonly now: () => number,
  ) {}

  handle(event: RunEvent): void {
    switch (event.kind) {
      case 'log':
        return this.log(event.data);
      case 'progress':
        return this.progress(event.data);
      case 'metric':
        return this.epoch(event.data);
      case 'status':
        if (event.data.to === 'cancelling') this.line('Cancelling...');
        return;
    }
  }

  line(text: string): void {
    this.clearBar();
    this.err.write(`${text}\n`);
    if (this.tty && this.lastBar) {
      this.err.write(this.lastBar);
      this.barShown = true;
    }
  }

  close(): void {
    this.clearBar();
  }

  private log(record: LogRecord): void {
    if ((record.level === 'debug' || record.level === 'trace') && !this.verbose) return;
    this.line(record.level === 'info' ? record.msg : `${record.level}: ${record.msg}`);
  }

  private progress(progress: TrainingProgress): void {
    if (progress.total_epochs !== undefined) this.totalEpochs = progress.total_epochs;
    if (!this.tty) return;
    const newStep = progress.step_index !== this.lastStep;
    this.lastStep = progress.step_index;
    if (!newStep && progress.percent < 100 && this.now() - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.lastDraw = this.now();
    const width = Math.max(40, Math.min(160, (this.err.columns ?? 100) - 1));
    this.lastBar = formatBar(progress, width, this.lastEpoch);
    this.err.write(`\r\x1b[2K${this.lastBar}`);
    this.barShown = true;
  }

  private epoch(metrics: EpochMetrics): void {
    this.lastEpoch = metrics;
    if (this.tty) return;
    const total = this.totalEpochs;
    // Relayed progress is throttled, so the total may not be known yet: then 1-10, 20, 30, ..., 100, 200, ...
    const every =
      total === undefined ? 10 ** Math.max(0, Math.floor(Math.log10(metrics.epoch))) : Math.max(1, Math.ceil(total / EPOCH_LINES_PER_RUN));
    if (metrics.epoch === 1 || metrics.epoch === total || metrics.epoch % every === 0) this.line(`  ${epochText(metrics)}`);
  }

  private clearBar(): void {
    if (this.barShown) this.err.write('\r\x1b[2K');
    this.barShown = false;
  }
}

const BAR_WIDTH = 24;

/** `[##########..............]  42.5% · step 9/11 · epoch 5/10 · batch 3/9 · val loss 0.9300 · ETA 1m12s`. */
export function formatBar(progress: TrainingProgress, width = 160, lastEpoch?: EpochMetrics): string {
  const filled = Math.round((progress.percent / 100) * BAR_WIDTH);
  const parts = [`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${progress.percent.toFixed(1).padStart(5)}%`];
  parts.push(`step ${progress.step_index + 1}/${progress.total_steps}`);
  if (progress.epoch !== undefined && progress.total_epochs !== undefined) parts.push(`epoch ${progress.epoch}/${progress.total_epochs}`);
  if (progress.batch !== undefined && progress.total_batches !== undefined) parts.push(`batch ${progress.batch}/${progress.total_batches}`);
  const valLoss = lastEpoch?.val_loss ?? progress.metrics?.val_loss;
  if (typeof valLoss === 'number') parts.push(`val loss ${valLoss.toFixed(4)}`);
  const valAccuracy = lastEpoch?.val_accuracy ?? progress.metrics?.val_accuracy;
  if (typeof valAccuracy === 'number') parts.push(`val acc ${valAccuracy.toFixed(3)}`);
  if (progress.eta_seconds !== undefined && progress.percent < 100) parts.push(`ETA ${formatDuration(progress.eta_seconds)}`);
  const text = parts.join(' · ');
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function epochText(metrics: EpochMetrics): string {
  const num = (value: unknown, digits = 4): string => (typeof value === 'number' ? value.toFixed(digits) : '-');
  return `epoch ${metrics.epoch}: train_loss ${num(metrics.train_loss)} train_acc ${num(metrics.train_accuracy)} val_loss ${num(metrics.val_loss)} val_acc ${num(metrics.val_accuracy)}`;
}
