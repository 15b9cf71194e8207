import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { DataRequirement } from '../contracts/host-protocol.js';
import { dataFileName } from '../data/names.js';
import { KtrdrError } from '../errors.js';
import { FileDigests } from '../util/file-digests.js';
import type { Logger } from '../util/logger.js';
import { isProcessAlive } from '../util/process.js';
import { downloadSeries } from './data-download.js';

/** This machine's name, made safe for a directory name. */
const RUN_DIR_HOST = hostname().replace(/[^A-Za-z0-9_.]/g, '_') || 'host';

export interface RunDataOptions {
  /** The host's own market data, `{SYMBOL}_{TF}.csv`; used when a file's sha256 is the one a run asks for. */
  readonly dataDir: string;
  /** Downloaded series, `{sha256}.csv`, plus the per-run directories under `runs/`. */
  readonly cacheDir: string;
  /** Sent to the backend when downloading. */
  readonly token?: string;
  readonly logger: Logger;
  /** Largest series accepted from the backend, decompressed, in bytes. @defaultValue 4 GiB */
  readonly maxDownloadBytes?: number;
  /** A download (connect to last byte) taking longer than this fails, in ms. @defaultValue 10 minutes */
  readonly downloadTimeoutMs?: number;
}

export type DataSourceKind = 'data-dir' | 'cache' | 'download';

export interface RunData {
  /** Holds exactly the requested series as `{SYMBOL}_{TF}.csv`; the run's data directory. */
  readonly dir: string;
  readonly sources: readonly (DataRequirement & { readonly source: DataSourceKind })[];
}

const DEFAULT_MAX_DOWNLOAD_BYTES = 4 * 1024 ** 3;
const DEFAULT_DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/**
 * Gives each run a directory holding exactly the market data it asked for, byte for byte, so a host never needs a
 * file system shared with the backend and never trains on data that merely has the same name. Each series comes
 * from the host's own data directory when its sha256 matches, else from the cache of earlier downloads (by hash),
 * else from the backend, checked against the hash and then cached.
 */
export class RunDataProvisioner {
  private readonly dataDir: string;
  private readonly cacheDir: string;
  /** This process's parent of the per-run directories; holds no data files itself. */
  readonly runsDir: string;
  private readonly allRunsDir: string;
  private readonly digests = new FileDigests();
  /** One download per hash at a time, shared by runs that need the same series. */
  private readonly downloads = new Map<string, Promise<string>>();
  private readonly closing = new AbortController();

  constructor(private readonly options: RunDataOptions) {
    this.dataDir = resolve(options.dataDir);
    this.cacheDir = resolve(options.cacheDir);
    // Per process: two hosts may share a cache (downloads are by hash, written atomically), never a run directory.
    // The machine's name is part of it because a cache on a shared volume sees processes of other machines (or
    // containers, where every host may be pid 1), whose liveness this process cannot check.
    this.allRunsDir = join(this.cacheDir, 'runs');
    this.runsDir = join(this.allRunsDir, `${RUN_DIR_HOST}-${process.pid}`);
  }

  /** Removes run directories that this machine's processes, no longer running, left behind before cleaning up. */
  async init(): Promise<void> {
    await mkdir(this.allRunsDir, { recursive: true });
    for (const name of await readdir(this.allRunsDir)) {
      const match = /^(.+)-(\d+)$/.exec(name);
      if (match === null || match[1] !== RUN_DIR_HOST) continue; // another machine's, or not ours to judge
      const pid = Number(match[2]);
      if (pid !== process.pid && isProcessAlive(pid)) continue;
      await rm(join(this.allRunsDir, name), { recursive: true, force: true });
    }
    await mkdir(this.runsDir, { recursive: true });
  }

  /**
   * Builds the run's data directory. Fails with DATA_NOT_FOUND when a series cannot be found or downloaded and with
   * DATA_INVALID when the bytes found do not hash as asked; nothing else is ever used in their place.
   */
  async prepare(runId: string, requirements: readonly DataRequirement[], backendUrl: string | undefined, signal: AbortSignal): Promise<RunData> {
    const wanted = uniqueRequirements(requirements);
    const dir = join(this.runsDir, `${runId}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir, { recursive: true });
    try {
      const sources: RunData['sources'][number][] = [];
      for (const requirement of wanted) {
        signal.throwIfAborted();
        const { file, source } = await this.locate(requirement, backendUrl, signal);
        await linkOrCopy(file, join(dir, dataFileName(requirement.symbol, requirement.timeframe)));
        sources.push({ ...requirement, source });
        this.options.logger.info(
          { operation_id: runId, ...requirement, source },
          `run ${runId}: ${requirement.symbol} ${requirement.timeframe} from ${source}`,
        );
      }
      return { dir, sources };
    } catch (error) {
      await this.release(dir);
      throw error;
    }
  }

  async release(dir: string): Promise<void> {
    await rm(dir, { recursive: true, force: true });
  }

  /** Abandons downloads still in progress (no run waits for them once the host's runs are closed). */
  async close(): Promise<void> {
    this.closing.abort(new Error('the host is shutting down'));
    await Promise.allSettled(this.downloads.values());
  }

  private async locate(
    requirement: DataRequirement,
    backendUrl: string | undefined,
    signal: AbortSignal,
  ): Promise<{ file: string; source: DataSourceKind }> {
    const own = join(this.dataDir, dataFileName(requirement.symbol, requirement.timeframe));
    if ((await this.digests.sha256(own)) === requirement.sha256) return { file: own, source: 'data-dir' };
    const cached = this.cachedFile(requirement.sha256);
    const cachedSha = await this.digests.sha256(cached);
    if (cachedSha === requirement.sha256) return { file: cached, source: 'cache' };
    if (cachedSha !== undefined) {
      // A damaged cache entry: replace it rather than train on it.
      this.options.logger.warn({ file: cached, sha256: cachedSha }, `cached series ${cached} does not match its name; downloading it again`);
      this.digests.forget(cached);
      await rm(cached, { force: true });
    }
    if (backendUrl === undefined) {
      throw new KtrdrError(
        'DATA_NOT_FOUND',
        `this host has no copy of ${requirement.symbol} ${requirement.timeframe} with sha256 ${requirement.sha256} and no backend to download it from`,
        {
          details: { ...requirement, data_dir: this.dataDir },
          hint: 'start the host with --backend <url>, or send callback_url so the backend can be found',
        },
      );
    }
    await this.download(requirement, backendUrl, signal);
    return { file: cached, source: 'download' };
  }

  private download(requirement: DataRequirement, backendUrl: string, signal: AbortSignal): Promise<string> {
    let pending = this.downloads.get(requirement.sha256);
    if (pending === undefined) {
      // Not tied to one run's signal: another run may be waiting for the same bytes.
      pending = this.downloadToCache(requirement, backendUrl).finally(() => this.downloads.delete(requirement.sha256));
      this.downloads.set(requirement.sha256, pending);
    }
    return abortable(pending, signal);
  }

  private async downloadToCache(requirement: DataRequirement, backendUrl: string): Promise<string> {
    const target = this.cachedFile(requirement.sha256);
    const temp = `${target}.${randomBytes(4).toString('hex')}.part`;
    const started = Date.now();
    const sha256 = await downloadSeries(requirement, {
      backendUrl,
      token: this.options.token,
      file: temp,
      signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS)]),
      maxBytes: this.options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
    });
    if (sha256 !== requirement.sha256) {
      await rm(temp, { force: true });
      throw new KtrdrError(
        'DATA_INVALID',
        `the backend sent ${requirement.symbol} ${requirement.timeframe} with sha256 ${sha256}, but the run needs ${requirement.sha256}`,
        {
          details: { ...requirement, received_sha256: sha256 },
          hint: 'the data file changed on the backend after the run was started; start the run again',
        },
      );
    }
    await rename(temp, target);
    this.options.logger.info(
      { ...requirement, ms: Date.now() - started },
      `downloaded ${requirement.symbol} ${requirement.timeframe} into the cache`,
    );
    return target;
  }

  private cachedFile(sha256: string): string {
    return join(this.cacheDir, `${sha256}.csv`);
  }
}

/** The same series twice is fine; the same series with two different hashes cannot both be honoured. */
function uniqueRequirements(requirements: readonly DataRequirement[]): DataRequirement[] {
  const byName = new Map<string, DataRequirement>();
  for (const requirement of requirements) {
    const name = dataFileName(requirement.symbol, requirement.timeframe);
    const seen = byName.get(name);
    if (seen && seen.sha256 !== requirement.sha256) {
      throw new KtrdrError('DATA_INVALID', `${requirement.symbol} ${requirement.timeframe} is required with two different sha256 values`, {
        details: { symbol: requirement.symbol, timeframe: requirement.timeframe, sha256: [seen.sha256, requirement.sha256] },
      });
    }
    byName.set(name, requirement);
  }
  return [...byName.values()];
}

/** A hard link costs nothing; across file systems (or where links are refused) a copy does the same job. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

/** Stops waiting when `signal` aborts, without cancelling the shared work itself. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
