import { KtrdrError } from '../../errors.js';

/**
 * The one spelling of a host's URL: `http(s)://host:port[/base]`, no trailing slash, no query. The registry keys
 * hosts by it, so `http://a:5002/` from KTRDR_HOSTS and `http://a:5002` from a registration are the same host.
 */
export function normalizeHostUrl(raw: string, what = 'host URL'): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new KtrdrError('VALIDATION_FAILED', `invalid ${what} '${raw}'`, { hint: 'use e.g. http://gpu-box:5002' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KtrdrError('VALIDATION_FAILED', `${what} must be http or https, got '${raw}'`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new KtrdrError('VALIDATION_FAILED', `${what} must not carry credentials, a query or a fragment: '${raw}'`, {
      hint: 'hosts authenticate with KTRDR_HOST_TOKEN',
    });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `KTRDR_HOSTS=url1,url2`: comma- or whitespace-separated; duplicates collapse. */
export function parseHostList(value: string | undefined): string[] {
  if (value === undefined) return [];
  const urls = value
    .split(/[\s,]+/)
    .filter((part) => part !== '')
    .map((part) => normalizeHostUrl(part, 'KTRDR_HOSTS entry'));
  return [...new Set(urls)];
}
