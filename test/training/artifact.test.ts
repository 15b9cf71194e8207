import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileModelStore } from '../../src/models/model-store.js';
import { artifactFromJson, artifactToJson } from '../../src/training/artifact.js';
import { runTraining } from '../../src/training/pipeline.js';
import { buildArtifact } from '../helpers/artifact-builder.js';
import { SPX_RSI_STRATEGY, recordingContext } from '../helpers/training-fixtures.js';

describe('artifactFromJson', () => {
  it('should give back what artifactToJson wrote, keeping keys it does not know', () => {
    const artifact = buildArtifact({ operationId: 'op-1' });
    expect(artifactFromJson(artifactToJson(artifact))).toEqual(artifact);
    const newer = JSON.parse(artifactToJson(artifact)) as { metrics: Record<string, unknown> };
    newer.metrics.calibration = { bins: 10 };
    expect(artifactFromJson(JSON.stringify(newer)).metrics).toMatchObject({ calibration: { bins: 10 } });
  });

  it('should name the part that does not match the artifact type', () => {
    const json = JSON.parse(artifactToJson(buildArtifact())) as { model: { spec: Record<string, unknown> }; format: string };
    delete json.model.spec.dropout;
    expect(() => artifactFromJson(JSON.stringify(json))).toThrow(/artifact model\.spec: .*dropout/);
    expect(() => artifactFromJson(JSON.stringify({ ...json, format: 'other/2' }))).toThrow(/unsupported artifact format 'other\/2'/);
  });

  // Validation must not change the JSON a trained model travels and is stored as (not even its key order).
  it('should keep a trained artifact byte-identical through transport and through the model store', async () => {
    const { artifact } = await runTraining({ strategyYaml: SPX_RSI_STRATEGY }, recordingContext({ operationId: 'op-1' }).ctx);
    const json = artifactToJson(artifact);
    expect(artifactToJson(artifactFromJson(json))).toBe(json);
    const root = await mkdtemp(join(tmpdir(), 'ktrdr-artifact-'));
    try {
      const store = new FileModelStore(root);
      await store.save(artifact);
      expect(artifactToJson((await store.load('spx_rsi_test')).artifact)).toBe(json);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
