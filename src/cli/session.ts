// `berth login`, `berth logout`, `berth whoami`.
import { CliError, forgetLogin, loadClient, makeClient, readLogin, writeLogin } from './client.ts';
import { flags, guarded, readStdin } from './command.ts';
import type { CommandModule } from './command.ts';
import { outputFormat, print } from './output.ts';

const loginUsage = 'usage: berth login --server URL --username U (--password P | --password-stdin)';

export const login: CommandModule = {
  run: (args) => guarded('login', async () => {
    const { values } = flags(args, {
      server: { type: 'string' }, username: { type: 'string', short: 'u' }, password: { type: 'string', short: 'p' },
      'password-stdin': { type: 'boolean' },
    }, loginUsage);
    const server = values.server ?? process.env.BERTH_SERVER ?? readLogin()?.server ?? 'http://localhost:8080';
    const username = values.username ?? process.env.BERTH_USERNAME;
    if (!username) throw new CliError(`--username is required\n${loginUsage}`, 2);
    let password = values.password;
    if (values['password-stdin']) password = (await readStdin()).replace(/\r?\n$/, '');
    if (!password) throw new CliError(`a password is required: --password or --password-stdin\n${loginUsage}`, 2);
    const res = await makeClient(server).request<{ token: string; expiresAt: string }>('POST', '/api/v1/login', { username, password });
    writeLogin({ server: server.replace(/\/+$/, ''), token: res.token, username, expiresAt: res.expiresAt });
    process.stdout.write(`Logged in to ${server} as ${username} (session valid until ${res.expiresAt})\n`);
  }),
};

export const logout: CommandModule = {
  run: (args) => guarded('logout', async () => {
    flags(args, {}, 'usage: berth logout');
    if (readLogin()) {
      try {
        await loadClient().request('POST', '/api/v1/logout');
      } catch {
        // The stored token may already be invalid or the server gone; forgetting it is what matters.
      }
    }
    forgetLogin();
    process.stdout.write('Logged out\n');
  }),
};

interface WhoAmI { name: string; platformRoles: string[]; tenantRoles: { tenant: string; role: string }[]; permissions: string[] }

export const whoami: CommandModule = {
  run: (args) => guarded('whoami', async () => {
    const { values } = flags(args, { output: { type: 'string', short: 'o' } }, 'usage: berth whoami [-o table|json|yaml]');
    const me = await loadClient().request<WhoAmI>('GET', '/api/v1/whoami');
    print(outputFormat(values.output), me, [me], [
      { heading: 'NAME', get: (m) => m.name },
      { heading: 'PLATFORM ROLES', get: (m) => m.platformRoles },
      { heading: 'TENANT ROLES', get: (m) => m.tenantRoles.map((b) => `${b.tenant}:${b.role}`) },
    ]);
  }),
};
