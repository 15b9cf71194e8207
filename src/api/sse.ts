import type { FastifyReply, FastifyRequest } from 'fastify';

/** How often an idle stream sends a comment line, so proxies and clients do not time it out. */
const HEARTBEAT_MS = 15_000;

export interface SseStream {
  send(id: number, event: string, data: unknown): void;
  end(): void;
  /** Called once when the stream ends, whoever ends it (client gone, server closing, `end`). */
  onClose(listener: () => void): void;
}

/** Open event streams, so a closing server can end them instead of waiting for clients to hang up. */
export class SseConnections {
  private readonly open = new Set<SseStream>();

  track(stream: SseStream): void {
    this.open.add(stream);
    stream.onClose(() => this.open.delete(stream));
  }

  endAll(): void {
    for (const stream of [...this.open]) stream.end();
  }

  get size(): number {
    return this.open.size;
  }
}

/** Takes the response over from Fastify and turns it into a `text/event-stream`. */
export function openSseStream(reply: FastifyReply): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': stream open\n\n');
  const listeners: (() => void)[] = [];
  let closed = false;
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const listener of listeners) listener();
  };
  // The response, not the request: a request's 'close' fires as soon as its (empty) body has been read.
  res.on('close', close);
  return {
    send(id, event, data) {
      if (closed) return;
      res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      if (!closed) res.end();
      close();
    },
    onClose(listener) {
      if (closed) listener();
      else listeners.push(listener);
    },
  };
}

/** `Last-Event-ID` wins over `?after=`: it is what a reconnecting EventSource sends. Null when it is not a seq. */
export function lastEventId(request: FastifyRequest): number | null | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header[0] : header;
  return /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : null;
}
