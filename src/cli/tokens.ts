// `berth tokens list|create|revoke`: the caller's personal API tokens.
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, type Column } from './output.ts';

const usage = `usage:
  berth tokens list [-o table|json|yaml]
  berth tokens create NAME [--expires-in-days N] [-o ...]
  berth tokens revoke ID`;

interface Token { id: string; name: string; createdAt: string; expiresAt: string; lastUsedAt?: string; revoked: boolean; token?: string }

const columns: Column<Token>[] = [
  { heading: 'ID', get: (t) => t.id },
  { heading: 'NAME', get: (t) => t.name },
  { heading: 'EXPIRES', get: (t) => t.expiresAt },
  { heading: 'LAST USED', get: (t) => t.lastUsedAt },
  { heading: 'REVOKED', get: (t) => t.revoked },
];

/** Entry point of `berth tokens`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('tokens', async () => {
    const [verb, ...rest] = args;
    const { values, positionals } = flags(rest, { output: { type: 'string', short: 'o' }, 'expires-in-days': { type: 'string' } }, usage);
    const out = outputFormat(values.output);
    const client = loadClient();
    switch (verb) {
      case 'list': {
        const list = await client.request<{ items: Token[] }>('GET', '/api/v1/tokens');
        print(out, list, list.items, columns);
        return;
      }
      case 'create': {
        if (!positionals[0]) throw new CliError(`a token NAME is required\n${usage}`, 2);
        const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
        if (days !== undefined && !Number.isInteger(days)) throw new CliError('--expires-in-days must be a whole number', 2);
        const t = await client.request<Token>('POST', '/api/v1/tokens', { name: positionals[0], ...(days ? { expiresInDays: days } : {}) });
        if (out === 'table') process.stdout.write(`token ${t.id} created, valid until ${t.expiresAt}; its secret is shown only now:\n${t.token}\n`);
        else print(out, t, [t], columns);
        return;
      }
      case 'revoke':
        if (!positionals[0]) throw new CliError(`a token ID is required\n${usage}`, 2);
        await client.request('DELETE', `/api/v1/tokens/${encodeURIComponent(positionals[0])}`);
        process.stdout.write(`token ${positionals[0]} revoked\n`);
        return;
      default:
        throw new CliError(usage, 2);
    }
  });
}
