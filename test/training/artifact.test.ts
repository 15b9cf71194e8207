import { describe, expect, it } from 'vitest';
import { artifactFromJson, artifactToJson } from '../../src/training/artifact.js';
import { buildArtifact } from '../helpers/artifact-builder.js';

describe('artifactFromJson', () => {
  it('should give back the artifact artifactToJson wrote, keeping keys it does not know', () => {
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
});
