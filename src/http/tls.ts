import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { KtrdrError } from '../errors.js';

/** A certificate chain and its private key, PEM, as `--tls-cert` / `--tls-key` name them. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Reads and checks `--tls-cert` / `--tls-key` before anything listens: both or neither, readable, and a key that
 * belongs to the certificate (Node would otherwise report a mismatch only at the first handshake, to the client).
 */
export function readTlsFiles(certPath: string | undefined, keyPath: string | undefined): TlsFiles | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    throw new KtrdrError('VALIDATION_FAILED', '--tls-cert and --tls-key go together: give both, or neither for plain HTTP');
  }
  const read = (option: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new KtrdrError('TLS_INVALID', `cannot read ${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        details: { option, path },
        cause: error,
      });
    }
  };
  const files = { cert: read('--tls-cert', certPath), key: read('--tls-key', keyPath) };
  try {
    createSecureContext(files);
  } catch (error) {
    throw new KtrdrError(
      'TLS_INVALID',
      `--tls-cert ${certPath} and --tls-key ${keyPath} are not a usable certificate and key: ${(error as Error).message}`,
      {
        details: { cert: certPath, key: keyPath },
        hint: 'both files must be PEM, and the key must be the certificate’s own private key',
        cause: error,
      },
    );
  }
  return files;
}

/** `http` or `https`, for the URLs a server prints and hands out. */
export function schemeOf(tls: TlsFiles | undefined): 'http' | 'https' {
  return tls === undefined ? 'http' : 'https';
}
