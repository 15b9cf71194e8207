import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KtrdrError } from '../errors.js';

/** What a token may do: `read` every GET; `train` also starts and cancels runs; `admin` also changes config. */
export const SCOPES = ['read', 'train', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function scopeAllows(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

export interface TokenInfo {
  readonly name: string;
  readonly scope: Scope;
  readonly created_at: string;
  readonly last_used_at: string | null;
}

/** The caller a valid token identifies. */
export interface Principal {
  readonly name: string;
  readonly scope: Scope;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOKEN_PATTERN = /^ktrdr_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_FILE = 'auth.key';
/** last_used_at is a hint for `tokens list`, not an audit log: written at most this often per token. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * API tokens in `KTRDR_HOME/ktrdr.db` (table `api_tokens`, its own schema beside the operations store's). A token is
 * `ktrdr_<id>_<secret>`: the id finds the row, and only an HMAC-SHA256 of the whole token is stored, keyed with a
 * random server secret in `KTRDR_HOME/auth.key` (mode 0600). The database alone therefore reveals no usable token.
 *
 * Every check reads the row again, so `ktrdr tokens create|revoke` (another process, another connection) takes
 * effect on a running server at its next request.
 */
export class TokenStore {
  private readonly db: Database.Database;
  private readonly key: Buffer;
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(homeDir: string) {
    mkdirSync(homeDir, { recursive: true });
    this.key = loadOrCreateKey(join(homeDir, KEY_FILE));
    this.db = new Database(join(homeDir, 'ktrdr.db'), { timeout: 5000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS api_tokens (
          name TEXT PRIMARY KEY,
          token_id TEXT NOT NULL UNIQUE,
          scope TEXT NOT NULL,
          hash BLOB NOT NULL,
          created_at TEXT NOT NULL,
          last_used_at TEXT
        ) STRICT;
      `);
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Creates a token and returns its secret, which is never stored and cannot be shown again. */
  create(name: string, scope: Scope): { token: string; info: TokenInfo } {
    if (!NAME_PATTERN.test(name)) {
      throw new KtrdrError('VALIDATION_FAILED', `invalid token name '${name}'`, { hint: 'letters, digits, dot, dash, underscore; at most 64' });
    }
    const tokenId = randomBytes(8).toString('hex');
    const token = `ktrdr_${tokenId}_${randomBytes(32).toString('base64url')}`;
    const createdAt = new Date().toISOString();
    try {
      this.db
        .prepare('INSERT INTO api_tokens (name, token_id, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(name, tokenId, scope, this.hash(token), createdAt);
    } catch (error) {
      if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) {
        throw new KtrdrError('FILE_EXISTS', `a token named '${name}' already exists`, { hint: 'revoke it first, or pick another name' });
      }
      throw error;
    }
    return { token, info: { name, scope, created_at: createdAt, last_used_at: null } };
  }

  list(): TokenInfo[] {
    return this.db.prepare('SELECT name, scope, created_at, last_used_at FROM api_tokens ORDER BY created_at, name').all() as TokenInfo[];
  }

  /** Removes a token; it is refused from the next request on. */
  revoke(name: string): void {
    const { changes } = this.db.prepare('DELETE FROM api_tokens WHERE name = ?').run(name);
    if (changes === 0) throw new KtrdrError('TOKEN_NOT_FOUND', `no token named '${name}'`, { hint: 'see `ktrdr tokens list`' });
  }

  /** Whether any token exists (then tokens are required on loopback too). */
  any(): boolean {
    return this.db.prepare('SELECT 1 FROM api_tokens LIMIT 1').get() !== undefined;
  }

  anyAdmin(): boolean {
    return this.db.prepare("SELECT 1 FROM api_tokens WHERE scope = 'admin' LIMIT 1").get() !== undefined;
  }

  /** The token's owner, or null for an unknown, revoked or malformed token. Compares in constant time. */
  verify(token: string): Principal | null {
    const match = TOKEN_PATTERN.exec(token);
    const row =
      match === null
        ? undefined
        : (this.db.prepare('SELECT name, scope, hash FROM api_tokens WHERE token_id = ?').get(match[1]) as
            { name: string; scope: Scope; hash: Buffer } | undefined);
    const given = this.hash(token);
    // Compare even when no row matched, so an unknown id takes the same path as a wrong secret.
    const equal = timingSafeEqual(given, row?.hash ?? Buffer.alloc(given.length));
    if (row === undefined || !equal) return null;
    this.touch(row.name);
    return { name: row.name, scope: row.scope };
  }

  close(): void {
    this.db.close();
  }

  private touch(name: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(name) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastUsedWritten.set(name, now);
    try {
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE name = ?').run(new Date(now).toISOString(), name);
    } catch {
      // A busy database must not turn a valid request into an error; the next use writes it.
    }
  }

  private hash(token: string): Buffer {
    return createHmac('sha256', this.key).update(token, 'utf8').digest();
  }
}

function loadOrCreateKey(file: string): Buffer {
  try {
    writeFileSync(file, randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (key.length < 32) throw new KtrdrError('INTERNAL', `${file} is not a valid key`, { hint: 'remove it; every token must then be created again' });
  return key;
}
