import { describe, expect, it } from 'vitest';
import { chooseDisplayMode, createProgressDisplay, formatBar, formatDuration } from '../../src/cli/progress-display.js';
import type { TrainingProgress } from '../../src/training/progress.js';

function sink(isTTY = false) {
  let text = '';
  return { isTTY, columns: 100, write: (chunk: string) => void (text += chunk), text: () => text };
}

const at = (percent: number, step: TrainingProgress['step'], index: number, extra: Partial<TrainingProgress> = {}): TrainingProgress => ({
  percent,
  step,
  step_index: index,
  total_steps: 11,
  message: `Step ${index + 1}/11: ${step}`,
  ...extra,
});
const info = (msg: string) => ({ kind: 'log' as const, data: { time: 0, level: 'info' as const, msg } });

describe('progress display', () => {
  it('should choose JSON for --json, a bar on a terminal and lines otherwise', () => {
    expect(chooseDisplayMode({ json: true }, sink(true))).toBe('json');
    expect(chooseDisplayMode({}, sink(true))).toBe('tty');
    expect(chooseDisplayMode({}, sink(false))).toBe('plain');
  });

  it('should format a bar with step, epoch, batch, validation numbers and ETA', () => {
    const line = formatBar(
      at(42.5, 'train', 8, {
        epoch: 5,
        total_epochs: 10,
        batch: 3,
        total_batches: 9,
        eta_seconds: 72,
        metrics: { val_loss: 0.93, val_accuracy: 0.5 },
      }),
    );
    expect(line).toBe('[##########..............]  42.5% · step 9/11 · epoch 5/10 · batch 3/9 · val loss 0.9300 · val acc 0.500 · ETA 1m12s');
    expect(formatBar(at(10, 'train', 8), 20)).toHaveLength(20);
    expect(formatDuration(3725)).toBe('1h02m');
    expect(formatDuration(7)).toBe('7s');
  });

  it('should print info log lines and a sample of epochs in plain mode, without control characters', () => {
    const err = sink();
    const display = createProgressDisplay('plain', err);
    display.handle(info('Step 1/11: Validating strategy'));
    display.handle({ kind: 'log', data: { time: 0, level: 'debug', msg: 'details' } });
    display.handle({ kind: 'log', data: { time: 0, level: 'warn', msg: 'few rows' } });
    display.handle({ kind: 'progress', data: at(10, 'train', 8, { epoch: 1, total_epochs: 100 }) });
    for (let epoch = 1; epoch <= 100; epoch++) display.handle({ kind: 'metric', data: { epoch, train_loss: 1, val_loss: 1 } });
    display.handle(info('Step 11/11: Packaging model artifact'));
    display.close();
    const lines = err.text().trim().split('\n');
    expect(lines[0]).toBe('Step 1/11: Validating strategy');
    expect(lines[1]).toBe('warn: few rows');
    const epochs = lines.filter((l) => l.startsWith('  epoch')).map((l) => Number(/epoch (\d+)/.exec(l)![1]));
    expect(epochs).toEqual([1, ...Array.from({ length: 20 }, (_, i) => (i + 1) * 5)]);
    expect(lines[lines.length - 1]).toBe('Step 11/11: Packaging model artifact');
    expect(err.text()).not.toContain('details');
    expect(err.text()).not.toContain('\u001b[');
  });

  it('should keep one live bar on a terminal, redraw it at most every 100 ms, and clear it on close', () => {
    const err = sink(true);
    let now = 0;
    const display = createProgressDisplay({ mode: 'tty', err, now: () => now });
    display.handle({ kind: 'progress', data: at(5, 'load_data', 1) });
    display.handle({ kind: 'progress', data: at(6, 'load_data', 1) }); // too soon: not drawn
    now = 500;
    display.handle({ kind: 'progress', data: at(50, 'load_data', 1) });
    display.handle(info('Step 3/11: Computing indicators'));
    display.close();
    const text = err.text();
    expect(text.split('\r\u001b[2K[').length - 1).toBe(2);
    expect(text).not.toContain('  6.0%');
    expect(text).toContain('\r\x1b[2KStep 3/11: Computing indicators\n[');
    expect(text.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('should print every event as one JSON line, with its origin when relayed', () => {
    const out = sink();
    const display = createProgressDisplay('json', sink(), out);
    display.handle({ kind: 'progress', data: at(1, 'validate', 0) });
    display.handle(info('x'), { seq: 4, operation_id: 'op' });
    display.line('ignored');
    const parsed = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toEqual([
      { kind: 'progress', data: at(1, 'validate', 0) },
      { seq: 4, operation_id: 'op', kind: 'log', data: { time: 0, level: 'info', msg: 'x' } },
    ]);
  });
});

describe('progress display epoch sampling', () => {
  it('should thin out epoch lines by order of magnitude while the total is unknown', () => {
    const err = sink();
    const display = createProgressDisplay('plain', err);
    for (let epoch = 1; epoch <= 250; epoch++) display.handle({ kind: 'metric', data: { epoch } });
    const epochs = err
      .text()
      .trim()
      .split('\n')
      .map((l) => Number(/epoch (\d+)/.exec(l)![1]));
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200]);
  });
});
