import { describe, expect, it } from 'vitest';
import { ReportBuffer, type Report } from '../../src/execution/local/report-buffer.js';
import type { EpochRecord } from '../../src/nn/index.js';
import type { TrainingProgress } from '../../src/training/progress.js';

const progress = (step: TrainingProgress['step'], percent: number): TrainingProgress => ({
  percent,
  step,
  step_index: 0,
  total_steps: 11,
  message: step,
});
const epoch = (n: number): EpochRecord => ({
  epoch: n,
  train_loss: 1,
  train_accuracy: 0.5,
  val_loss: 1,
  val_accuracy: 0.5,
  learning_rate: 0.001,
  duration_ms: 1,
});
const log = (msg: string) => ({ time: 0, level: 'info' as const, msg });

describe(ReportBuffer.name, () => {
  it('should hold reports for the interval and send them in order, merging consecutive logs and epochs', () => {
    let now = 0;
    const sent: Report[][] = [];
    const sut = new ReportBuffer(
      (reports) => sent.push(reports),
      50,
      () => now,
    );
    sut.progress(progress('train', 20)); // a new step goes out at once
    expect(sent).toHaveLength(1);
    sut.epoch(epoch(1));
    sut.epoch(epoch(2));
    sut.log(log('a'));
    sut.log(log('b'));
    sut.progress(progress('train', 21));
    expect(sent).toHaveLength(1);
    now = 60;
    sut.epoch(epoch(3));
    expect(sent).toHaveLength(2);
    expect(sent[1].map((r) => r.kind)).toEqual(['epochs', 'logs', 'progress', 'epochs']);
    expect(sent[1][0]).toEqual({ kind: 'epochs', records: [epoch(1), epoch(2)] });
    expect(sent[1][1]).toEqual({ kind: 'logs', records: [log('a'), log('b')] });
  });

  it('should send at 100 % and on flush, and send nothing when empty', () => {
    const sent: Report[][] = [];
    const sut = new ReportBuffer(
      (reports) => sent.push(reports),
      1000,
      () => 0,
    );
    sut.flush();
    expect(sent).toEqual([]);
    sut.progress(progress('package', 99));
    sut.log(log('done'));
    sut.progress(progress('package', 100));
    expect(sent).toHaveLength(2);
    sut.epoch(epoch(1));
    sut.flush();
    expect(sent[2]).toEqual([{ kind: 'epochs', records: [epoch(1)] }]);
  });
});
