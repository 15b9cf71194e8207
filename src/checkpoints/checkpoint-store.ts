import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isKtrdrError, KtrdrError } from '../errors.js';
import { decodeCheckpoint, type Checkpoint } from '../training/checkpoint-format.js';
import { assertSafeName } from '../util/names.js';

/** How many checkpoints are kept per operation: the newest, and one to fall back on if the newest is damaged. */
export const CHECKPOINTS_KEPT = 2;

const FILE_PATTERN = /^epoch-(\d{6})\.ckpt$/;

/** A checkpoint the store found, with the file it came from. */
export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly epoch: number;
  readonly file: string;
  /** The file as stored, for sending it on as it is (a training host resuming the run). */
  readonly bytes: Uint8Array;
}

/** A checkpoint file that was skipped because it failed its checks. */
export interface SkippedCheckpoint {
  readonly file: string;
  readonly error: KtrdrError;
}

/**
 * Checkpoint files on the local disk, one directory per operation: `{root}/{operation_id}/epoch-000040.ckpt`. A file
 * is written under a temporary name and renamed into place, so a reader (or a process killed mid-write) never sees
 * half a checkpoint; writing the same epoch again replaces it, which makes pushes idempotent by epoch.
 */
export class CheckpointStore {
  constructor(private readonly root: string) {}

  directory(operationId: string): string {
    assertSafeName(operationId, 'operation id');
    return join(this.root, operationId);
  }

  /** Writes one encoded checkpoint and then drops all but the newest `CHECKPOINTS_KEPT`. */
  async write(operationId: string, epoch: number, bytes: Uint8Array): Promise<void> {
    if (!Number.isInteger(epoch) || epoch < 1 || epoch > 999_999) {
      throw new KtrdrError('VALIDATION_FAILED', `A checkpoint epoch must be an integer in 1..999999, got ${epoch}`);
    }
    const dir = this.directory(operationId);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.tmp-${randomUUID()}`);
    try {
      await writeFile(tmp, bytes, { flush: true });
      await rename(tmp, join(dir, fileName(epoch)));
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    for (const old of (await this.epochs(operationId)).slice(CHECKPOINTS_KEPT)) await rm(join(dir, fileName(old)), { force: true });
  }

  /** Epochs with a checkpoint file, newest first. */
  async epochs(operationId: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.directory(operationId));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((name) => FILE_PATTERN.exec(name))
      .filter((match) => match !== null)
      .map((match) => Number(match[1]))
      .sort((a, b) => b - a);
  }

  /** The raw bytes of one epoch's checkpoint, or null. */
  async read(operationId: string, epoch: number): Promise<Uint8Array | null> {
    try {
      return await readFile(join(this.directory(operationId), fileName(epoch)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  /**
   * The newest checkpoint that passes its checks, or null. A damaged one (cut short by a full disk, altered) is
   * reported through `onSkipped` and the previous one is used instead: never a damaged state.
   */
  async latest(operationId: string, onSkipped?: (skipped: SkippedCheckpoint) => void): Promise<StoredCheckpoint | null> {
    for (const epoch of await this.epochs(operationId)) {
      const file = join(this.directory(operationId), fileName(epoch));
      const bytes = await this.read(operationId, epoch);
      if (bytes === null) continue;
      try {
        return { checkpoint: decodeCheckpoint(bytes, file), epoch, file, bytes };
      } catch (error) {
        if (!isKtrdrError(error) || error.code !== 'CHECKPOINT_CORRUPT') throw error;
        onSkipped?.({ file, error });
      }
    }
    return null;
  }

  async has(operationId: string): Promise<boolean> {
    return (await this.epochs(operationId)).length > 0;
  }

  /** Removes every checkpoint of the operation (after it completed, or when it is purged). */
  async remove(operationId: string): Promise<void> {
    await rm(this.directory(operationId), { recursive: true, force: true });
  }
}

function fileName(epoch: number): string {
  return `epoch-${String(epoch).padStart(6, '0')}.ckpt`;
}
