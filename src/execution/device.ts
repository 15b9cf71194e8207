import { availableParallelism, cpus, totalmem } from 'node:os';

/** The compute device a process trains on, reported as it is (no GPU backend exists yet, so always the CPU). */
export interface DeviceInfo {
  readonly kind: 'cpu' | 'gpu';
  readonly name: string;
  readonly cores: number;
  readonly memory: number;
}

/**
 * The one place that decides what this machine trains on. Training runs on the js-cpu backend, so even a machine
 * with a GPU reports `cpu`: claiming a GPU that the trainer does not use would mislead mode selection.
 */
export function detectDevice(): DeviceInfo {
  const model = cpus()[0]?.model?.trim() || 'unknown cpu';
  return { kind: 'cpu', name: `cpu (${model})`, cores: availableParallelism(), memory: totalmem() };
}
