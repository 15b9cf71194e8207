import { afterEach, describe, expect, it } from 'vitest';
import { artifactFromJson, sha256Hex } from '../../src/training/artifact.js';
import { waitFor } from '../helpers/strategies.js';
import { spxStartRequest, startTestHost, TOKEN, type TestHost } from '../helpers/host-harness.js';
import { BackendStub } from '../helpers/backend-stub.js';

describe('pushing results to the backend', () => {
  let host: TestHost | undefined;
  let backend: BackendStub | undefined;
  afterEach(async () => {
    await host?.close();
    await backend?.close();
    host = backend = undefined;
  });

  it('should retry with backoff until the backend accepts, sending the gzip artifact with the token', async () => {
    backend = await new BackendStub({ failPushes: 2 }).start();
    host = await startTestHost();
    await host.client.start(await spxStartRequest('op-push', { callback_url: backend.callbackUrl('op-push') }));
    const { final } = await host.client.waitUntilFinished('op-push');
    expect(final.status).toBe('completed');
    const pushed = await waitFor(async () => {
      const body = await host!.client.status('op-push');
      return body.result_pushed === null ? undefined : body.result_pushed;
    }, 'the push');
    expect(pushed).toBe(true);
    expect(backend.pushAttempts).toEqual(['op-push', 'op-push', 'op-push']);
    expect(backend.pushes).toHaveLength(1);
    const [push] = backend.pushes;
    expect(push.authorization).toBe(`Bearer ${TOKEN}`);
    expect(push.contentEncoding).toBe('gzip');
    const artifact = artifactFromJson(push.json);
    expect(sha256Hex(artifact.weights)).toBe(artifact.manifest.weights_sha256);
    expect(artifact.manifest.operation_id).toBe('op-push');
    // Still there for a pull until acknowledged, and the same bytes.
    const pulled = await host.client.result('op-push');
    expect(pulled.manifest.weights_sha256).toBe(artifact.manifest.weights_sha256);
  });

  it('should give up after five attempts and keep the result for a pull', async () => {
    backend = await new BackendStub({ failPushes: Infinity }).start();
    host = await startTestHost();
    await host.client.start(await spxStartRequest('op-nopush', { callback_url: backend.callbackUrl('op-nopush') }));
    await host.client.waitUntilFinished('op-nopush');
    const final = await waitFor(async () => {
      const body = await host!.client.status('op-nopush');
      return body.result_pushed === null ? undefined : body;
    }, 'the push to give up');
    expect(final).toMatchObject({ status: 'completed', result_pushed: false, result_available: true });
    expect(backend.pushAttempts).toHaveLength(5);
    const artifact = await host.client.result('op-nopush');
    expect(artifact.manifest.operation_id).toBe('op-nopush');
  });

  it('should not retry a push the backend refuses outright', async () => {
    backend = await new BackendStub().start();
    host = await startTestHost();
    // No such route on the backend: 404, which a retry cannot fix.
    await host.client.start(await spxStartRequest('op-refused', { callback_url: `${backend.url}/api/v1/elsewhere` }));
    await host.client.waitUntilFinished('op-refused');
    const final = await waitFor(async () => {
      const body = await host!.client.status('op-refused');
      return body.result_pushed === null ? undefined : body;
    }, 'the push to end');
    expect(final).toMatchObject({ result_pushed: false, result_available: true });
  });
});
