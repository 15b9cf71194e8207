import { describe, expect, it } from 'vitest';
import { parseSse, type SseMessage } from '../../src/api/client/sse-parser.js';

async function parse(chunks: string[]): Promise<SseMessage[]> {
  const encoder = new TextEncoder();
  async function* body() {
    for (const chunk of chunks) yield encoder.encode(chunk);
  }
  const out: SseMessage[] = [];
  for await (const message of parseSse(body())) out.push(message);
  return out;
}

describe(parseSse.name, () => {
  it('should parse ids, event names and data, skipping comments', async () => {
    expect(await parse([': open\n\nid: 1\nevent: progress\ndata: {"a":1}\n\nid: 2\ndata: x\n\n'])).toEqual([
      { id: '1', event: 'progress', data: '{"a":1}' },
      { id: '2', event: 'message', data: 'x' },
    ]);
  });

  it('should survive events split anywhere across chunks, including inside CRLF and multi-byte characters', async () => {
    const text = 'id: 7\r\nevent: log\r\ndata: héllo\r\ndata: wörld\r\n\r\n';
    const bytes = new TextEncoder().encode(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      async function* body() {
        yield bytes.slice(0, cut);
        yield bytes.slice(cut);
      }
      const out: SseMessage[] = [];
      for await (const message of parseSse(body())) out.push(message);
      expect(out).toEqual([{ id: '7', event: 'log', data: 'héllo\nwörld' }]);
    }
  });

  it('should drop a trailing partial event', async () => {
    expect(await parse(['id: 1\ndata: done\n\nid: 2\ndata: cut'])).toEqual([{ id: '1', event: 'message', data: 'done' }]);
  });
});
