import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify as prettyJson } from '../util/json.js';
import { KtrdrError } from '../errors.js';
import { SAFE_NAME, assertSafeName } from '../util/names.js';
import { z } from 'zod';
import { testPeriodSummary, type TestPeriodSummary } from '../training/test-backtest.js';
import {
  ARTIFACT_FORMAT,
  ArtifactMetricsSchema,
  FeatureDescriptionSchema,
  LabelDescriptionSchema,
  ModelDescriptionSchema,
  ModelManifestSchema,
  artifactFormatOf,
  checkArtifactPart,
  sha256Hex,
  type ModelArtifact,
} from '../training/artifact.js';

/** One stored version, as listed (no weights). */
export interface ModelVersionSummary {
  readonly strategy: string;
  readonly version: number;
  readonly path: string;
  readonly created_at: string;
  readonly operation_id: string | null;
  readonly test_accuracy: number | null;
  /** The test-period backtest next to buy-and-hold; null for models trained before backtests. */
  readonly test_period: TestPeriodSummary | null;
  readonly feature_count: number;
}

export interface StoredModel {
  readonly version: number;
  readonly path: string;
  readonly artifact: ModelArtifact;
}

export interface SaveResult {
  readonly version: number;
  readonly path: string;
  /** False when this operation's model had already been saved (the existing version is returned). */
  readonly created: boolean;
}

/** Port: where trained models live. The backend is its only writer. */
export interface ModelStore {
  save(artifact: ModelArtifact): Promise<SaveResult>;
  list(strategy?: string): Promise<ModelVersionSummary[]>;
  load(strategy: string, version?: number): Promise<StoredModel>;
  latestVersion(strategy: string): Promise<number | null>;
}

const VERSION_DIR = /^v([1-9][0-9]*)$/;
/** The files of one version, all of them needed to load it. */
export const MODEL_FILES = ['model.json', 'weights.bin', 'features.json', 'metrics.json', 'strategy.yaml'] as const;
const FILES = MODEL_FILES;

/**
 * `models/{strategy}/v{N}/` on the local file system. A version is assembled in a temporary directory and renamed
 * into place, so readers never see half a version; the rename also claims the version number, so concurrent saves
 * of one strategy get distinct numbers. Saves are idempotent on the operation id: a repeated save of the same
 * operation's artifact returns the version already written instead of writing a second one.
 */
export class FileModelStore implements ModelStore {
  constructor(private readonly root: string) {}

  /** Saves in one process are serialised per strategy so the operation-id check and the write are one step. */
  private readonly saving = new Map<string, Promise<unknown>>();

  async save(artifact: ModelArtifact): Promise<SaveResult> {
    const strategy = artifact.strategy_name;
    const previous = this.saving.get(strategy) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.saveNow(artifact));
    this.saving.set(strategy, next);
    try {
      return await next;
    } finally {
      if (this.saving.get(strategy) === next) this.saving.delete(strategy);
    }
  }

  private async saveNow(artifact: ModelArtifact): Promise<SaveResult> {
    const strategy = artifact.strategy_name;
    assertSafeName(strategy, 'strategy');
    const operationId = artifact.manifest.operation_id;
    if (operationId !== null) {
      const existing = (await this.list(strategy)).find((m) => m.operation_id === operationId);
      if (existing) return { version: existing.version, path: existing.path, created: false };
    }
    const strategyDir = join(this.root, strategy);
    await mkdir(strategyDir, { recursive: true });
    const tmp = join(strategyDir, `.tmp-${randomUUID()}`);
    await mkdir(tmp);
    try {
      await writeVersionFiles(tmp, artifact);
      for (let attempt = 0; attempt < 1000; attempt++) {
        // Another writer may claim the same number between our read and rename; then re-read and try the next.
        const version = ((await this.latestVersionOnDisk(strategy)) ?? 0) + 1;
        const target = join(strategyDir, `v${version}`);
        try {
          await rename(tmp, target);
        } catch (error) {
          if (isCode(error, 'ENOTEMPTY') || isCode(error, 'EEXIST')) continue;
          throw error;
        }
        await this.pointLatestAt(strategy, version);
        return { version, path: target, created: true };
      }
      throw new Error(`could not claim a version number for ${strategy}`);
    } catch (error) {
      await rm(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  async list(strategy?: string): Promise<ModelVersionSummary[]> {
    const strategies = strategy === undefined ? await this.strategies() : [strategy];
    const out: ModelVersionSummary[] = [];
    for (const name of strategies) {
      assertSafeName(name, 'strategy');
      for (const version of await this.versions(name)) {
        const path = join(this.root, name, `v${version}`);
        try {
          const model = checkArtifactPart(ModelListingSchema, JSON.parse(await readFile(join(path, 'model.json'), 'utf8')), 'model.json');
          out.push({
            strategy: name,
            version,
            path,
            created_at: model.manifest.created_at,
            operation_id: model.manifest.operation_id,
            test_accuracy: typeof model.test_accuracy === 'number' ? model.test_accuracy : null,
            test_period: model.test_period ?? null,
            feature_count: model.feature_count,
          });
        } catch {
          // An unreadable version is reported by `load`, not hidden in a listing error.
        }
      }
    }
    return out;
  }

  async latestVersion(strategy: string): Promise<number | null> {
    assertSafeName(strategy, 'strategy');
    const pointer = await readFile(join(this.root, strategy, 'latest'), 'utf8').catch(() => null);
    const match = pointer?.trim().match(VERSION_DIR);
    // A pointer to a version someone deleted (as the MODEL_CORRUPT hint suggests) falls back to the newest one left.
    if (match && (await isDirectory(join(this.root, strategy, match[0])))) return Number(match[1]);
    return this.latestVersionOnDisk(strategy);
  }

  async load(strategy: string, version?: number): Promise<StoredModel> {
    assertSafeName(strategy, 'strategy');
    const wanted = version ?? (await this.latestVersion(strategy));
    if (wanted === null) {
      throw new KtrdrError('MODEL_NOT_FOUND', `no trained model for strategy '${strategy}'`, {
        hint: `train it first: ktrdr train ${strategy}`,
      });
    }
    const path = join(this.root, strategy, `v${wanted}`);
    if (!(await isDirectory(path))) {
      const available = await this.versions(strategy);
      throw new KtrdrError('MODEL_NOT_FOUND', `model ${strategy} v${wanted} does not exist`, {
        details: { available: available.map((v) => `v${v}`) },
      });
    }
    return { version: wanted, path, artifact: await readVersionFiles(path) };
  }

  private async strategies(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    // Only names a strategy could have: a mounted volume's `lost+found` or a stray backup folder is not a model.
    return entries.filter((e) => e.isDirectory() && SAFE_NAME.test(e.name)).map((e) => e.name).sort();
  }

  private async versions(strategy: string): Promise<number[]> {
    const entries = await readdir(join(this.root, strategy), { withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name.match(VERSION_DIR))
      .filter((m): m is RegExpMatchArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  private async latestVersionOnDisk(strategy: string): Promise<number | null> {
    const versions = await this.versions(strategy);
    return versions.length === 0 ? null : versions[versions.length - 1];
  }

  /** `latest` is a small file rather than a symlink: portable, and replaced atomically by rename. */
  private async pointLatestAt(strategy: string, version: number): Promise<void> {
    const current = await this.latestVersionOnDisk(strategy);
    if (current !== null && current > version) return;
    const tmp = join(this.root, strategy, `.latest-${randomUUID()}`);
    await writeFile(tmp, `v${version}\n`);
    await rename(tmp, join(this.root, strategy, 'latest'));
  }
}

interface ModelJson {
  format: typeof ARTIFACT_FORMAT;
  strategy_name: string;
  model: ModelArtifact['model'];
  labels: ModelArtifact['labels'];
  manifest: ModelArtifact['manifest'];
  feature_count: number;
  /** Nullable in the file format, as in the model list API; a model written here always has one. */
  test_accuracy: number | null;
  /** Absent in models written before test-period backtests. */
  test_period?: TestPeriodSummary | null;
}

const figure = z.number().nullable();
const TestPeriodJsonSchema: z.ZodType<TestPeriodSummary> = z.looseObject({
  return: figure,
  sharpe: figure,
  max_drawdown: figure,
  trades: figure,
  buy_and_hold: z.looseObject({ return: figure, sharpe: figure, max_drawdown: figure }),
});

const ModelJsonSchema: z.ZodType<ModelJson> = z.looseObject({
  format: z.literal(ARTIFACT_FORMAT),
  strategy_name: z.string(),
  model: ModelDescriptionSchema,
  labels: LabelDescriptionSchema,
  manifest: ModelManifestSchema,
  feature_count: z.number().int(),
  test_accuracy: z.number().nullable(),
  test_period: TestPeriodJsonSchema.nullable().optional(),
});

/** Only what a listing shows, so one odd field elsewhere does not hide a version from `list` (`load` reports it). */
const ModelListingSchema = z.looseObject({
  manifest: z.looseObject({ created_at: z.string(), operation_id: z.string().nullable() }),
  feature_count: z.number().int(),
  test_accuracy: z.number().nullable(),
  test_period: TestPeriodJsonSchema.nullable().optional(),
});

async function writeVersionFiles(dir: string, artifact: ModelArtifact): Promise<void> {
  const modelJson: ModelJson = {
    format: artifact.format,
    strategy_name: artifact.strategy_name,
    model: artifact.model,
    labels: artifact.labels,
    manifest: artifact.manifest,
    feature_count: artifact.features.names.length,
    test_accuracy: artifact.metrics.test.accuracy,
    test_period: testPeriodSummary(artifact.metrics.backtest),
  };
  await writeFile(join(dir, 'model.json'), prettyJson(modelJson));
  await writeFile(join(dir, 'weights.bin'), artifact.weights);
  await writeFile(join(dir, 'features.json'), prettyJson(artifact.features));
  await writeFile(join(dir, 'metrics.json'), prettyJson(artifact.metrics));
  await writeFile(join(dir, 'strategy.yaml'), artifact.strategy_yaml);
}

async function readVersionFiles(dir: string): Promise<ModelArtifact> {
  const corrupt = (message: string, cause?: unknown): KtrdrError =>
    new KtrdrError('MODEL_CORRUPT', `${dir}: ${message}`, { cause, hint: 'retrain the strategy or delete this version' });
  const contents = new Map<string, Buffer>();
  for (const file of FILES) {
    try {
      contents.set(file, await readFile(join(dir, file)));
    } catch (error) {
      throw corrupt(`missing ${file}`, error);
    }
  }
  const json = (file: string): unknown => {
    try {
      return JSON.parse(contents.get(file)!.toString('utf8'));
    } catch (error) {
      throw corrupt(`${file} is not valid JSON`, error);
    }
  };
  const parse = <T>(file: string, schema: z.ZodType<T>, value = json(file)): T => {
    try {
      return checkArtifactPart(schema, value, file);
    } catch (error) {
      throw corrupt(error instanceof Error ? error.message : String(error), error);
    }
  };
  const modelJson = json('model.json');
  const format = artifactFormatOf(modelJson);
  if (format !== ARTIFACT_FORMAT) throw corrupt(`model.json has an unknown format '${String(format)}'`);
  const model = parse('model.json', ModelJsonSchema, modelJson);
  const weights = new Uint8Array(contents.get('weights.bin')!);
  if (sha256Hex(weights) !== model.manifest.weights_sha256) {
    throw corrupt('weights.bin does not match the sha256 recorded in model.json (file changed or truncated)');
  }
  const features = parse('features.json', FeatureDescriptionSchema);
  if (features.names.length !== model.feature_count) {
    throw corrupt('features.json does not list the model\'s features');
  }
  return {
    format: ARTIFACT_FORMAT,
    strategy_name: model.strategy_name,
    model: model.model,
    weights,
    features,
    labels: model.labels,
    metrics: parse('metrics.json', ArtifactMetricsSchema),
    manifest: model.manifest,
    strategy_yaml: contents.get('strategy.yaml')!.toString('utf8'),
  };
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}
