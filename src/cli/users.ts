// `berth users list|get|create|update|delete`.
import { CliError, loadClient } from './client.ts';
import { flags, guarded, readStdin } from './command.ts';
import { outputFormat, print, type Column } from './output.ts';

const usage = `usage:
  berth users list [-o table|json|yaml]
  berth users get NAME [-o ...]
  berth users create NAME (--password P | --password-stdin) [--email E] [--role R]...
  berth users update NAME [--disable | --enable] [--role R]... [--password-stdin] [--email E]
  berth users delete NAME`;

interface User { name: string; email?: string; platformRoles: string[]; disabled: boolean; createdAt: string; resourceVersion: string }

const columns: Column<User>[] = [
  { heading: 'NAME', get: (u) => u.name },
  { heading: 'ROLES', get: (u) => u.platformRoles },
  { heading: 'DISABLED', get: (u) => u.disabled },
  { heading: 'EMAIL', get: (u) => u.email },
  { heading: 'CREATED', get: (u) => u.createdAt },
];

/** Entry point of `berth users`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('users', async () => {
    const [verb, ...rest] = args;
    const { values, positionals } = flags(rest, {
      output: { type: 'string', short: 'o' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' },
      email: { type: 'string' }, role: { type: 'string', multiple: true }, disable: { type: 'boolean' }, enable: { type: 'boolean' },
    }, usage);
    const out = outputFormat(values.output);
    const client = loadClient();
    const name = positionals[0];
    const needName = () => { if (!name) throw new CliError(`a user NAME is required\n${usage}`, 2); return encodeURIComponent(name); };
    const password = async () => (values['password-stdin'] ? (await readStdin()).replace(/\r?\n$/, '') : values.password);
    switch (verb) {
      case 'list': {
        const items: User[] = [];
        let cont: string | undefined;
        do {
          const page = await client.request<{ items: User[]; metadata: { continue?: string } }>('GET', `/api/v1/users?limit=500${cont ? `&continue=${cont}` : ''}`);
          items.push(...page.items);
          cont = page.metadata.continue;
        } while (cont);
        print(out, { kind: 'UserList', items }, items, columns);
        return;
      }
      case 'get': {
        const u = await client.request<User>('GET', `/api/v1/users/${needName()}`);
        print(out, u, [u], columns);
        return;
      }
      case 'create': {
        const n = needName();
        const pw = await password();
        if (!pw) throw new CliError(`a password is required: --password or --password-stdin\n${usage}`, 2);
        const u = await client.request<User>('POST', '/api/v1/users', { name: decodeURIComponent(n), password: pw, ...(values.email ? { email: values.email } : {}), ...(values.role ? { platformRoles: values.role } : {}) });
        print(out, u, [u], columns);
        return;
      }
      case 'update': {
        const n = needName();
        const pw = await password();
        const patch = {
          ...(values.disable ? { disabled: true } : {}), ...(values.enable ? { disabled: false } : {}),
          ...(values.role ? { platformRoles: values.role } : {}), ...(values.email ? { email: values.email } : {}), ...(pw ? { password: pw } : {}),
        };
        const u = await client.request<User>('PATCH', `/api/v1/users/${n}`, patch);
        print(out, u, [u], columns);
        return;
      }
      case 'delete':
        await client.request('DELETE', `/api/v1/users/${needName()}`);
        process.stdout.write(`user "${name}" deleted\n`);
        return;
      default:
        throw new CliError(usage, 2);
    }
  });
}
