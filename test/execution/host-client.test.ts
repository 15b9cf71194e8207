import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostClient, HostUnreachableError } from '../../src/execution/remote/host-client.js';

/** A stand-in for what sits between backend and host: proxies and hiccups, answering each run id differently. */
describe(HostClient.name, () => {
  let server: FastifyInstance;
  let client: HostClient;
  const call = { timeoutMs: 2000 };

  beforeAll(async () => {
    server = Fastify();
    server.get('/training/:id', async (request, reply) => {
      const { id } = request.params as { id: string };
      if (id === 'bad-gateway') return reply.code(502).type('text/html').send('<html>Bad Gateway</html>');
      if (id === 'rate-limited') return reply.code(429).send('slow down');
      if (id === 'html-ok') return reply.code(200).type('text/html').send('<html>maintenance</html>');
      if (id === 'internal') return reply.code(500).send({ error: { code: 'INTERNAL', message: 'boom' } });
      return reply.code(404).send({ error: { code: 'OPERATION_NOT_FOUND', message: `no run ${id}` } });
    });
    const url = await server.listen({ port: 0, host: '127.0.0.1' });
    client = new HostClient(url, { token: 't' });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(['bad-gateway', 'rate-limited', 'html-ok', 'internal'])('should treat %s as a host it could not hear, to be retried', async (id) => {
    await expect(client.status(id, 0, call)).rejects.toBeInstanceOf(HostUnreachableError);
  });

  it("should pass on the host's own answer with its code", async () => {
    await expect(client.status('gone', 0, call)).rejects.toMatchObject({ code: 'OPERATION_NOT_FOUND' });
  });

  it('should report a dead address as unreachable', async () => {
    const dead = new HostClient('http://127.0.0.1:1');
    await expect(dead.status('x', 0, call)).rejects.toBeInstanceOf(HostUnreachableError);
  });
});
