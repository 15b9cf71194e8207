import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

interface Digest {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  readonly sha256: string;
}

/**
 * sha256 of files, remembered while a file's size, mtime and inode stay the same. Market data is named by hash on
 * both sides of a host run (the backend sends the hash with each requirement and download, the host checks every file
 * a run uses); hashing a large CSV again for every run of the same series would cost more than the run's dispatch.
 */
export class FileDigests {
  private readonly known = new Map<string, Digest>();
  /** One read per file at a time, shared by callers that ask together. */
  private readonly hashing = new Map<string, Promise<string | undefined>>();

  /** Lower-case hex sha256 of the file, or undefined when there is no such regular file. */
  async sha256(file: string): Promise<string | undefined> {
    const running = this.hashing.get(file);
    if (running) return running;
    const next = this.compute(file).finally(() => this.hashing.delete(file));
    this.hashing.set(file, next);
    return next;
  }

  forget(file: string): void {
    this.known.delete(file);
  }

  private async compute(file: string): Promise<string | undefined> {
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    if (!info.isFile()) return undefined;
    const cached = this.known.get(file);
    if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs && cached.ino === info.ino) return cached.sha256;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    this.known.set(file, { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, sha256 });
    return sha256;
  }
}
