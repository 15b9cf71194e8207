/** The dashboard's only way to the server: the public /api/v1, with its one error body turned into `ApiError`. */

export const API = '/api/v1';

/** An API answer that was not 2xx: the error body's code, message and hint, shown as they are. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

interface ErrorBody {
  readonly error?: { code?: string; message?: string; hint?: string; details?: unknown };
}

/** The session's CSRF token: cookie-authenticated requests that change state must echo it in a header. */
let csrfToken: string | null = null;
const authListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server answers 401: the dashboard then shows the login form. */
export function onAuthRequired(listener: () => void): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

export async function apiRequest<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== null) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(`${API}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (error) {
    throw new ApiError(0, 'SERVER_UNREACHABLE', `cannot reach the server (${(error as Error).message})`, 'check that `ktrdr serve` is running');
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const error = (parsed as ErrorBody | undefined)?.error;
    if (response.status === 401 && extraHeaders.authorization === undefined) for (const listener of authListeners) listener();
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? (text.slice(0, 200) || response.statusText),
      error?.hint,
      error?.details,
    );
  }
  return parsed as T;
}

export const get = <T>(path: string) => apiRequest<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => apiRequest<T>('POST', path, body ?? {});
export const del = <T>(path: string, body?: unknown) => apiRequest<T>('DELETE', path, body);

/** Builds `?a=1&b=2` from the defined entries only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/**
 * Logs in: the token goes to the server once, as a bearer header, and comes back as an HttpOnly session cookie the
 * page cannot read. Only the CSRF token is kept, in memory.
 */
export async function login<T extends { csrf_token: string | null }>(token: string): Promise<T> {
  const state = await apiRequest<T>('POST', '/session', {}, { authorization: `Bearer ${token}` });
  setCsrfToken(state.csrf_token);
  return state;
}
