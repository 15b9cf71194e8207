import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { dataFileName } from '../../data/names.js';
import { KtrdrError } from '../../errors.js';
import type { FileDigests } from '../../util/file-digests.js';

export interface DataFile {
  readonly name: string;
  /** Of the uncompressed bytes. */
  readonly sha256: string;
  readonly stream: Readable;
}

/** Market data files as training hosts download them: exact bytes, with their hash. */
export class DataFiles {
  constructor(
    private readonly dataDir: string,
    private readonly digests: FileDigests,
  ) {}

  /** DATA_NOT_FOUND when there is no such file; the names were validated (no path tricks) by `dataFileName`. */
  async open(symbol: string, timeframe: string): Promise<DataFile> {
    const name = dataFileName(symbol, timeframe);
    const file = join(this.dataDir, name);
    const sha256 = await this.digests.sha256(file);
    if (sha256 === undefined) {
      throw new KtrdrError('DATA_NOT_FOUND', `no data file ${name} on this server`, { details: { symbol, timeframe } });
    }
    return { name, sha256, stream: createReadStream(file) };
  }
}
