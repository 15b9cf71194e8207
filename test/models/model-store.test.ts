import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileModelStore } from '../../src/models/model-store.js';
import { buildArtifact } from '../helpers/artifact-builder.js';

describe(FileModelStore.name, () => {
  let root: string;
  let sut: FileModelStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'ktrdr-models-'));
    sut = new FileModelStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should write numbered versions with every file and a latest pointer', async () => {
    const first = await sut.save(buildArtifact());
    const second = await sut.save(buildArtifact());
    expect([first.version, second.version]).toEqual([1, 2]);
    expect((await readdir(join(root, 'demo', 'v2'))).sort()).toEqual(['features.json', 'metrics.json', 'model.json', 'strategy.yaml', 'weights.bin']);
    expect((await readFile(join(root, 'demo', 'latest'), 'utf8')).trim()).toBe('v2');
    const loaded = await sut.load('demo');
    expect(loaded.version).toBe(2);
    expect(Array.from(loaded.artifact.weights)).toEqual(Array.from(buildArtifact().weights));
    expect(loaded.artifact.strategy_yaml).toBe('name: demo\n');
  });

  it('should give concurrent saves of one strategy distinct versions and leave no temp directories', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => sut.save(buildArtifact())));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const entries = await readdir(join(root, 'demo'));
    expect(entries.filter((e) => e.startsWith('.'))).toEqual([]);
    expect((await readFile(join(root, 'demo', 'latest'), 'utf8')).trim()).toBe('v8');
  });

  it('should give distinct versions to separate writers sharing one directory', async () => {
    const writers = Array.from({ length: 6 }, () => new FileModelStore(root));
    const results = await Promise.all(writers.map((w) => w.save(buildArtifact())));
    expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('should save an operation\'s model exactly once', async () => {
    const first = await sut.save(buildArtifact({ operationId: 'op-1' }));
    const again = await sut.save(buildArtifact({ operationId: 'op-1' }));
    expect(again).toEqual({ ...first, created: false });
    expect((await sut.list('demo')).length).toBe(1);
  });

  it('should list versions with their summary', async () => {
    await sut.save(buildArtifact({ strategy: 'a' }));
    await sut.save(buildArtifact({ strategy: 'b', operationId: 'op-9' }));
    const listed = await sut.list();
    expect(listed.map((m) => [m.strategy, m.version, m.operation_id, m.test_accuracy, m.feature_count])).toEqual([
      ['a', 1, null, 0.5, 1],
      ['b', 1, 'op-9', 0.5, 1],
    ]);
  });

  it('should ignore folders that cannot be strategies and survive a deleted latest version', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'lost+found'));
    await mkdir(join(root, 'backup 1'));
    await sut.save(buildArtifact());
    await sut.save(buildArtifact());
    expect((await sut.list()).map((m) => `${m.strategy} v${m.version}`)).toEqual(['demo v1', 'demo v2']);
    await rm(join(root, 'demo', 'v2'), { recursive: true });
    expect((await sut.load('demo')).version).toBe(1);
  });

  it('should fail clearly on a corrupted or missing weights file', async () => {
    const { path } = await sut.save(buildArtifact());
    await writeFile(join(path, 'weights.bin'), new Uint8Array([1, 2, 3]));
    await expect(sut.load('demo', 1)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/weights\.bin does not match/) });
    await rm(join(path, 'weights.bin'));
    await expect(sut.load('demo', 1)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/missing weights\.bin/) });
    await writeFile(join(path, 'weights.bin'), buildArtifact().weights);
    await writeFile(join(path, 'model.json'), '{not json');
    await expect(sut.load('demo', 1)).rejects.toMatchObject({ code: 'MODEL_CORRUPT' });
  });

  it('should refuse a version whose files lack what the artifact type promises', async () => {
    const { path } = await sut.save(buildArtifact());
    const metrics = JSON.parse(await readFile(join(path, 'metrics.json'), 'utf8')) as { test: Record<string, unknown> };
    delete metrics.test.loss;
    await writeFile(join(path, 'metrics.json'), JSON.stringify(metrics));
    await expect(sut.load('demo', 1)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/metrics\.json test\.loss/) });
    const model = JSON.parse(await readFile(join(path, 'model.json'), 'utf8')) as { model: { spec: Record<string, unknown> } };
    model.model.spec.activation = 'softsign';
    await writeFile(join(path, 'model.json'), JSON.stringify(model));
    await expect(sut.load('demo', 1)).rejects.toMatchObject({ code: 'MODEL_CORRUPT', message: expect.stringMatching(/model\.json model\.spec: .*activation/) });
  });

  it('should report unknown strategies and versions, and refuse path tricks', async () => {
    await expect(sut.load('nothing')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await sut.save(buildArtifact());
    await expect(sut.load('demo', 7)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND', details: { available: ['v1'] } });
    await expect(sut.load('../etc')).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(sut.save(buildArtifact({ strategy: '../escape' }))).rejects.toMatchObject({ code: 'INVALID_NAME' });
  });
});
