import type { EpochRecord } from '../../nn/index.js';
import type { TrainingProgress } from '../../training/progress.js';
import type { LogRecord } from '../../util/logger.js';

/** What a run reports, in order; consecutive logs and epochs travel as one entry. */
export type Report =
  | { readonly kind: 'progress'; readonly progress: TrainingProgress }
  | { readonly kind: 'logs'; readonly records: LogRecord[] }
  | { readonly kind: 'epochs'; readonly records: EpochRecord[] };

/** Default gap between two sends, in ms: fast enough for a live display, coarse enough to stay cheap. */
export const REPORT_INTERVAL_MS = 50;

/**
 * Collects a run's reports and sends them in batches. A small strategy can finish an epoch every millisecond; one
 * message (and one database write) per epoch would cost the server's event loop more than the training saves, so
 * reports are held for up to `intervalMs`. Step changes, 100 % and `flush` send at once, so the start of each step
 * shows without delay and nothing is left behind at the end. Order is kept.
 */
export class ReportBuffer {
  private pending: Report[] = [];
  private lastSent: number;
  private lastStep: string | undefined;

  constructor(
    private readonly send: (reports: Report[]) => void,
    private readonly intervalMs: number = REPORT_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSent = now();
  }

  progress(progress: TrainingProgress): void {
    this.pending.push({ kind: 'progress', progress });
    const newStep = progress.step !== this.lastStep;
    this.lastStep = progress.step;
    if (newStep || progress.percent >= 100) this.flush();
    else this.flushIfDue();
  }

  log(record: LogRecord): void {
    const last = this.pending[this.pending.length - 1];
    if (last?.kind === 'logs') last.records.push(record);
    else this.pending.push({ kind: 'logs', records: [record] });
    this.flushIfDue();
  }

  epoch(record: EpochRecord): void {
    const last = this.pending[this.pending.length - 1];
    if (last?.kind === 'epochs') last.records.push(record);
    else this.pending.push({ kind: 'epochs', records: [record] });
    this.flushIfDue();
  }

  flushIfDue(): void {
    if (this.now() - this.lastSent >= this.intervalMs) this.flush();
  }

  flush(): void {
    this.lastSent = this.now();
    if (this.pending.length === 0) return;
    const reports = this.pending;
    this.pending = [];
    this.send(reports);
  }
}
