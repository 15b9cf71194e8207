import type { Command } from 'commander';
import { SCOPES, TokenStore, type Scope } from '../../auth/token-store.js';
import { loadSettings } from '../../config/settings.js';
import { KtrdrError } from '../../errors.js';
import { table } from '../format.js';

/**
 * `ktrdr tokens create|list|revoke`: API tokens, managed on the server machine directly in `KTRDR_HOME/ktrdr.db`
 * (like an admin with a shell there); a running server sees each change at its next request.
 */
export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('API tokens for the ktrdr server (stored hashed in KTRDR_HOME/ktrdr.db)');

  tokens
    .command('create')
    .description('Create a token and print it once (it cannot be shown again)')
    .requiredOption('--name <name>', 'a name for the token (who or what uses it)')
    .option('--scope <scope>', `what it may do: ${SCOPES.join(', ')}`, 'read')
    .action((options: { name: string; scope: string }) =>
      withStore((store) => {
        const scope = scopeOption(options.scope);
        const { token } = store.create(options.name, scope);
        process.stdout.write(`${token}\n`);
        process.stderr.write(`token '${options.name}' (${scope}) created; it is shown only this once. Use it as KTRDR_TOKEN or --token.\n`);
      }),
    );

  tokens
    .command('list')
    .description('List tokens: name, scope, created, last used (never the secret)')
    .option('--json', 'print the list as JSON', false)
    .action((options: { json?: boolean }) =>
      withStore((store) => {
        const list = store.list();
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ data: list })}\n`);
          return;
        }
        if (list.length === 0) {
          process.stdout.write('no tokens (the server is open on loopback; create one with `ktrdr tokens create`)\n');
          return;
        }
        const time = (iso: string | null) => (iso === null ? 'never' : iso.replace('T', ' ').slice(0, 19));
        process.stdout.write(
          table(
            ['NAME', 'SCOPE', 'CREATED (UTC)', 'LAST USED (UTC)'],
            list.map((t) => [t.name, t.scope, time(t.created_at), time(t.last_used_at)]),
          ),
        );
      }),
    );

  tokens
    .command('revoke')
    .description('Revoke a token: a running server refuses it from its next request on')
    .argument('<name>', 'the token name')
    .action((name: string) =>
      withStore((store) => {
        store.revoke(name);
        process.stdout.write(`token '${name}' revoked\n`);
      }),
    );
}

function scopeOption(value: string): Scope {
  if ((SCOPES as readonly string[]).includes(value)) return value as Scope;
  throw new KtrdrError('VALIDATION_FAILED', `--scope must be one of ${SCOPES.join(', ')}, got '${value}'`);
}

function withStore(action: (store: TokenStore) => void): void {
  const store = new TokenStore(loadSettings().homeDir);
  try {
    action(store);
  } finally {
    store.close();
  }
}
