import { createHash } from 'node:crypto';
import { z } from 'zod';
import { KtrdrError } from '../errors.js';
import type { EpochRecord, TrainerState } from '../nn/index.js';

/**
 * A checkpoint file: the trainer's state after an epoch plus what it was computed from, so that it is only ever used
 * to continue the very same run.
 *
 * Layout (all integers little-endian):
 *   8 bytes   magic `KTRDRCK1`
 *   4 bytes   uint32 length H of the header
 *   H bytes   UTF-8 JSON header (`CheckpointHeader`), naming the float sections and their lengths in order
 *   …         the float sections, float32 little-endian, back to back
 *   32 bytes  sha256 of everything before it
 * A file that is cut short or altered fails the length or hash check and is refused as CHECKPOINT_CORRUPT.
 */

export const CHECKPOINT_MAGIC = 'KTRDRCK1';
const MAGIC_BYTES = Buffer.from(CHECKPOINT_MAGIC, 'latin1');
const SHA256_BYTES = 32;
const FLOAT_BYTES = 4;

/** What a checkpoint was computed from; a resume compares these with its own run before using the state. */
export interface CheckpointOrigin {
  readonly operationId: string | null;
  /** sha256 of the effective strategy text. */
  readonly strategySha256: string;
  /** sha256 of every data file read, in the order the pipeline read them. */
  readonly dataSha256: readonly string[];
  readonly packageVersion: string;
}

export interface Checkpoint {
  readonly origin: CheckpointOrigin;
  /**
   * The effective strategy text the run trains (overrides applied): a resume continues with exactly this text, even
   * if the strategy file was edited since.
   */
  readonly strategyYaml: string;
  /** The run's epoch count, for "Resuming from checkpoint at epoch 40/100". */
  readonly totalEpochs: number;
  readonly createdAt: string;
  readonly state: TrainerState;
}

const SECTION_NAMES = ['params', 'adam_m', 'adam_v', 'best_params'] as const;

/** Infinity does not survive JSON; before the first epoch the best losses are +Infinity, written as null. */
const lossSchema = z.number().nullable();

const epochRecordSchema = z.object({
  epoch: z.number().int(),
  train_loss: z.number(),
  train_accuracy: z.number(),
  val_loss: z.number(),
  val_accuracy: z.number(),
  learning_rate: z.number(),
  duration_ms: z.number(),
});

const headerSchema = z.object({
  format: z.literal('ktrdr-checkpoint/1'),
  operation_id: z.string().nullable(),
  strategy_sha256: z.string(),
  strategy_yaml: z.string(),
  data_sha256: z.array(z.string()),
  package_version: z.string(),
  created_at: z.string(),
  total_epochs: z.number().int(),
  epochs_done: z.number().int(),
  shuffle_rng_state: z.number().int(),
  dropout_rng_state: z.number().int(),
  adam_step: z.number().int(),
  best_loss: lossSchema,
  best_epoch: z.number().int(),
  early_stopping: z.object({ best: lossSchema, epochs_without_improvement: z.number().int() }).nullable(),
  history: z.array(epochRecordSchema),
  sections: z.array(z.object({ name: z.enum(SECTION_NAMES), length: z.number().int().nonnegative() })),
});

type CheckpointHeader = z.infer<typeof headerSchema>;

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { origin, state } = checkpoint;
  const floats: Record<(typeof SECTION_NAMES)[number], Float32Array> = {
    params: state.backend.params,
    adam_m: state.backend.optimizer.m,
    adam_v: state.backend.optimizer.v,
    best_params: state.bestParams,
  };
  const header: CheckpointHeader = {
    format: 'ktrdr-checkpoint/1',
    operation_id: origin.operationId,
    strategy_sha256: origin.strategySha256,
    strategy_yaml: checkpoint.strategyYaml,
    data_sha256: [...origin.dataSha256],
    package_version: origin.packageVersion,
    created_at: checkpoint.createdAt,
    total_epochs: checkpoint.totalEpochs,
    epochs_done: state.epochsDone,
    shuffle_rng_state: state.shuffleRngState,
    dropout_rng_state: state.backend.dropoutRngState,
    adam_step: state.backend.optimizer.step,
    best_loss: finiteOrNull(state.bestLoss),
    best_epoch: state.bestEpoch,
    early_stopping:
      state.earlyStopping === null
        ? null
        : { best: finiteOrNull(state.earlyStopping.best), epochs_without_improvement: state.earlyStopping.epochsWithoutImprovement },
    history: state.history.map((record) => ({ ...record })),
    sections: SECTION_NAMES.map((name) => ({ name, length: floats[name].length })),
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const floatCount = SECTION_NAMES.reduce((n, name) => n + floats[name].length, 0);
  const bodyLength = MAGIC_BYTES.length + 4 + headerBytes.length + floatCount * FLOAT_BYTES;
  const bytes = new Uint8Array(bodyLength + SHA256_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC_BYTES, 0);
  view.setUint32(MAGIC_BYTES.length, headerBytes.length, true);
  bytes.set(headerBytes, MAGIC_BYTES.length + 4);
  let offset = MAGIC_BYTES.length + 4 + headerBytes.length;
  for (const name of SECTION_NAMES) {
    for (const value of floats[name]) {
      view.setFloat32(offset, value, true);
      offset += FLOAT_BYTES;
    }
  }
  bytes.set(createHash('sha256').update(bytes.subarray(0, bodyLength)).digest(), bodyLength);
  return bytes;
}

/** Reads and checks a checkpoint file's bytes; anything wrong with them is CHECKPOINT_CORRUPT, never a partial state. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const corrupt = (why: string): never => {
    throw new KtrdrError('CHECKPOINT_CORRUPT', `${source} is not a usable checkpoint: ${why}`, { details: { source } });
  };
  const minimum = MAGIC_BYTES.length + 4 + SHA256_BYTES;
  if (bytes.byteLength < minimum) corrupt(`it has ${bytes.byteLength} bytes, fewer than any checkpoint`);
  if (!Buffer.from(bytes.buffer, bytes.byteOffset, MAGIC_BYTES.length).equals(MAGIC_BYTES)) corrupt('it does not start with the checkpoint magic');
  const bodyLength = bytes.byteLength - SHA256_BYTES;
  const digest = createHash('sha256').update(bytes.subarray(0, bodyLength)).digest();
  if (!digest.equals(Buffer.from(bytes.buffer, bytes.byteOffset + bodyLength, SHA256_BYTES))) {
    corrupt('its sha256 does not match (truncated or altered)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC_BYTES.length, true);
  const headerStart = MAGIC_BYTES.length + 4;
  if (headerStart + headerLength > bodyLength) corrupt('its header runs past the end of the file');
  let header: CheckpointHeader;
  try {
    header = headerSchema.parse(JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + headerStart, headerLength).toString('utf8')));
  } catch (error) {
    return corrupt(`its header is not valid (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
  }
  const floats = new Map<string, Float32Array>();
  let offset = headerStart + headerLength;
  for (const { name, length } of header.sections) {
    if (offset + length * FLOAT_BYTES > bodyLength) corrupt(`section ${name} runs past the end of the file`);
    const values = new Float32Array(length);
    for (let i = 0; i < length; i++) values[i] = view.getFloat32(offset + i * FLOAT_BYTES, true);
    floats.set(name, values);
    offset += length * FLOAT_BYTES;
  }
  if (offset !== bodyLength) corrupt(`it has ${bodyLength - offset} bytes after its last section`);
  const section = (name: (typeof SECTION_NAMES)[number]): Float32Array => floats.get(name) ?? corrupt(`section ${name} is missing`);
  const history: EpochRecord[] = header.history.map((record) => ({ ...record }));
  return {
    origin: {
      operationId: header.operation_id,
      strategySha256: header.strategy_sha256,
      dataSha256: header.data_sha256,
      packageVersion: header.package_version,
    },
    strategyYaml: header.strategy_yaml,
    totalEpochs: header.total_epochs,
    createdAt: header.created_at,
    state: {
      epochsDone: header.epochs_done,
      history,
      shuffleRngState: header.shuffle_rng_state,
      bestLoss: header.best_loss ?? Number.POSITIVE_INFINITY,
      bestEpoch: header.best_epoch,
      bestParams: section('best_params'),
      earlyStopping:
        header.early_stopping === null
          ? null
          : {
              best: header.early_stopping.best ?? Number.POSITIVE_INFINITY,
              epochsWithoutImprovement: header.early_stopping.epochs_without_improvement,
            },
      backend: {
        params: section('params'),
        optimizer: { step: header.adam_step, m: section('adam_m'), v: section('adam_v') },
        dropoutRngState: header.dropout_rng_state,
      },
    },
  };
}

/**
 * Refuses a checkpoint computed from another strategy text or other data: continuing from it would silently mix two
 * runs. (The package version is recorded for diagnosis, not compared: the arithmetic is what the format pins.)
 */
export function assertCheckpointMatches(checkpoint: Checkpoint, expected: Omit<CheckpointOrigin, 'packageVersion' | 'operationId'>): void {
  const { origin } = checkpoint;
  const problems: string[] = [];
  if (origin.strategySha256 !== expected.strategySha256) problems.push('it was computed from a different strategy text');
  if (origin.dataSha256.length !== expected.dataSha256.length || origin.dataSha256.some((sha, i) => sha !== expected.dataSha256[i])) {
    problems.push('it was computed from different data files');
  }
  if (problems.length > 0) {
    throw new KtrdrError('CHECKPOINT_MISMATCH', `The checkpoint at epoch ${checkpoint.state.epochsDone} cannot be used: ${problems.join('; ')}`, {
      details: { problems, checkpoint: { strategy_sha256: origin.strategySha256, data_sha256: origin.dataSha256 } },
      hint: 'The strategy or its data changed since the run started; start a new training instead of resuming.',
    });
  }
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
