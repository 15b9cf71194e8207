/**
 * Redis URLs in messages, apart from the client (redis.ts): the CLI names a bad `--queue` URL without loading ioredis
 * and BullMQ, which only cluster mode needs.
 */

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<invalid Redis URL>';
  }
}
