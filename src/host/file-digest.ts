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
 * sha256 of files, remembered while a file's size, mtime and inode stay the same. Every run checks each data file
 * it uses; hashing a large CSV again for every run of the same series would cost more than the check is worth.
 */
export class FileDigests {
  private readonly known = new Map<string, Digest>();

  /** The file's sha256 (lower-case hex), or undefined when there is no such regular file. */
  async sha256(file: string): Promise<string | undefined> {
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
    const sha256 = await hashFile(file);
    this.known.set(file, { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, sha256 });
    return sha256;
  }

  forget(file: string): void {
    this.known.delete(file);
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
