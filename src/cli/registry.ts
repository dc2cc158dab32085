// `berth registry …`: registry projects, members, robots, repositories and artifacts.
import { CliError, loadClient } from './client.ts';
import { flags, guarded } from './command.ts';
import { outputFormat, print, type Column } from './output.ts';

const usage = `usage:
  berth registry projects create NAME [--public] [--tenant T] [--storage-limit BYTES] [--artifact-limit N] [--rate-limit RPS]
  berth registry projects list [-o table|json|yaml]
  berth registry projects get NAME [-o ...]
  berth registry projects delete NAME
  berth registry members list PROJECT [-o ...]
  berth registry members set PROJECT USER ROLE [--repositories PATTERN]
  berth registry members remove PROJECT USER [--repositories PATTERN]
  berth registry robots list PROJECT [-o ...]
  berth registry robots create PROJECT NAME --permission PATTERN=ACTIONS... [--expires-in-days N] [--description TEXT]
  berth registry robots delete PROJECT NAME
  berth registry repositories list PROJECT [-o ...]
  berth registry repositories delete REPOSITORY
  berth registry artifacts list REPOSITORY [-o ...]

roles: project-admin, maintainer, developer, guest, limited-guest; actions: pull,push,delete`;

interface Project { name: string; tenant: string; public: boolean; storageLimit: number; artifactLimit: number; rateLimit: number; createdAt: string; usage?: { storageBytes: number; artifacts: number; repositories: number } }
interface Member { project: string; user: string; role: string; repositories: string }
interface Robot { username: string; description: string; permissions: { repositories: string; actions: string[] }[]; expiresAt: string; revoked: boolean; secret?: string }
interface Repository { name: string; artifactCount: number; pullCount: number; updatedAt: string }
interface Artifact { digest: string; tags: string[]; mediaType: string; size: number; pushedAt: string; pulledAt: string | null }

const limitText = (n: number) => (n < 0 ? 'none' : String(n));
const projectColumns: Column<Project>[] = [
  { heading: 'NAME', get: (p) => p.name },
  { heading: 'TENANT', get: (p) => p.tenant },
  { heading: 'PUBLIC', get: (p) => p.public },
  { heading: 'STORAGE LIMIT', get: (p) => limitText(p.storageLimit) },
  { heading: 'ARTIFACT LIMIT', get: (p) => limitText(p.artifactLimit) },
  { heading: 'CREATED', get: (p) => p.createdAt },
];
const memberColumns: Column<Member>[] = [
  { heading: 'USER', get: (m) => m.user },
  { heading: 'ROLE', get: (m) => m.role },
  { heading: 'REPOSITORIES', get: (m) => m.repositories || '*' },
];
const robotColumns: Column<Robot>[] = [
  { heading: 'NAME', get: (r) => r.username },
  { heading: 'PERMISSIONS', get: (r) => r.permissions.map((p) => `${p.repositories || '**'}=${p.actions.join('+')}`) },
  { heading: 'EXPIRES', get: (r) => r.expiresAt },
  { heading: 'REVOKED', get: (r) => r.revoked },
];
const repositoryColumns: Column<Repository>[] = [
  { heading: 'NAME', get: (r) => r.name },
  { heading: 'ARTIFACTS', get: (r) => r.artifactCount },
  { heading: 'PULLS', get: (r) => r.pullCount },
  { heading: 'UPDATED', get: (r) => r.updatedAt },
];
const artifactColumns: Column<Artifact>[] = [
  { heading: 'DIGEST', get: (a) => a.digest },
  { heading: 'TAGS', get: (a) => a.tags },
  { heading: 'SIZE', get: (a) => a.size },
  { heading: 'MEDIA TYPE', get: (a) => a.mediaType },
  { heading: 'PUSHED', get: (a) => a.pushedAt },
  { heading: 'PULLED', get: (a) => a.pulledAt },
];

function need(v: string | undefined, what: string): string {
  if (!v) throw new CliError(`${what} is required\n${usage}`, 2);
  return v;
}

function integer(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < -1) throw new CliError(`${flag} must be a whole number (-1 for none), got "${v}"`, 2);
  return n;
}

/** `PATTERN=pull+push` (or `,` between actions) to a robot permission. */
function permissionOf(v: string): { repositories: string; actions: string[] } {
  const i = v.lastIndexOf('=');
  if (i < 0) throw new CliError(`--permission "${v}" must be PATTERN=ACTIONS, e.g. "app/*=pull+push"`, 2);
  return { repositories: v.slice(0, i), actions: v.slice(i + 1).split(/[+,]/).filter(Boolean) };
}

const enc = encodeURIComponent;

function parse(rest: readonly string[]) {
  return flags(rest, {
    output: { type: 'string', short: 'o' }, public: { type: 'boolean' }, tenant: { type: 'string' },
    'storage-limit': { type: 'string' }, 'artifact-limit': { type: 'string' }, 'rate-limit': { type: 'string' },
    repositories: { type: 'string' }, permission: { type: 'string', multiple: true }, 'expires-in-days': { type: 'string' }, description: { type: 'string' },
  }, usage);
}

/** What every subcommand gets: the client, the output format, the flags and the positional arguments. */
interface Invocation {
  readonly client: ReturnType<typeof loadClient>;
  readonly out: ReturnType<typeof outputFormat>;
  readonly values: ReturnType<typeof parse>['values'];
  readonly args: readonly (string | undefined)[];
}

const nouns: Record<string, (verb: string | undefined, inv: Invocation) => Promise<void>> = {
  projects: projectsCommand, members: membersCommand, robots: robotsCommand, repositories: repositoriesCommand, artifacts: artifactsCommand,
};

/** Entry point of `berth registry`. */
export function run(args: readonly string[]): Promise<number> {
  return guarded('registry', async () => {
    const [noun, verb, ...rest] = args;
    const { values, positionals } = parse(rest);
    const out = outputFormat(values.output);
    const client = loadClient();
    const command = Object.hasOwn(nouns, noun ?? '') ? nouns[noun] : undefined;
    if (!command) throw new CliError(usage, 2);
    await command(verb, { client, out, values, args: positionals });
  });
}

async function projectsCommand(verb: string | undefined, { client, out, values, args: [a] }: Invocation): Promise<void> {
  switch (verb) {
    case 'create': {
      const body = {
        name: need(a, 'a project NAME'), ...(values.tenant ? { tenant: values.tenant } : {}), ...(values.public ? { public: true } : {}),
        storageLimit: integer(values['storage-limit'], '--storage-limit'), artifactLimit: integer(values['artifact-limit'], '--artifact-limit'),
        rateLimit: integer(values['rate-limit'], '--rate-limit'),
      };
      const p = await client.request<Project>('POST', '/api/v1/registry/projects', body);
      if (out === 'table') process.stdout.write(`project ${p.name} created${p.tenant ? ` in tenant ${p.tenant}` : ''}${p.public ? ' (public)' : ''}\n`);
      else print(out, p, [p], projectColumns);
      return;
    }
    case 'list': {
      const list = await client.request<{ items: Project[] }>('GET', '/api/v1/registry/projects');
      print(out, list, list.items, projectColumns);
      return;
    }
    case 'get': {
      const p = await client.request<Project>('GET', `/api/v1/registry/projects/${enc(need(a, 'a project NAME'))}`);
      print(out, p, [p], [...projectColumns, { heading: 'USED BYTES', get: (x) => x.usage?.storageBytes }, { heading: 'ARTIFACTS', get: (x) => x.usage?.artifacts }]);
      return;
    }
    case 'delete':
      await client.request('DELETE', `/api/v1/registry/projects/${enc(need(a, 'a project NAME'))}`);
      process.stdout.write(`project ${a} deleted\n`);
      return;
    default:
      throw new CliError(usage, 2);
  }
}

async function membersCommand(verb: string | undefined, { client, out, values, args: [a, b, c] }: Invocation): Promise<void> {
  switch (verb) {
    case 'list': {
      const list = await client.request<{ items: Member[] }>('GET', `/api/v1/registry/projects/${enc(need(a, 'a PROJECT'))}/members`);
      print(out, list, list.items, memberColumns);
      return;
    }
    case 'set': {
      const m = await client.request<Member>('PUT', `/api/v1/registry/projects/${enc(need(a, 'a PROJECT'))}/members/${enc(need(b, 'a USER'))}`,
        { role: need(c, 'a ROLE'), ...(values.repositories ? { repositories: values.repositories } : {}) });
      if (out === 'table') process.stdout.write(`${m.user} is ${m.role} of ${m.project}${m.repositories ? ` for repositories ${m.repositories}` : ''}\n`);
      else print(out, m, [m], memberColumns);
      return;
    }
    case 'remove': {
      const q = values.repositories ? `?repositories=${enc(values.repositories)}` : '';
      await client.request('DELETE', `/api/v1/registry/projects/${enc(need(a, 'a PROJECT'))}/members/${enc(need(b, 'a USER'))}${q}`);
      process.stdout.write(`${b} removed from ${a}\n`);
      return;
    }
    default:
      throw new CliError(usage, 2);
  }
}

async function robotsCommand(verb: string | undefined, { client, out, values, args: [a, b] }: Invocation): Promise<void> {
  switch (verb) {
    case 'list': {
      const list = await client.request<{ items: Robot[] }>('GET', `/api/v1/registry/projects/${enc(need(a, 'a PROJECT'))}/robots`);
      print(out, list, list.items, robotColumns);
      return;
    }
    case 'create': {
      const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
      if (days !== undefined && !Number.isInteger(days)) throw new CliError('--expires-in-days must be a whole number', 2);
      const r = await client.request<Robot>('POST', `/api/v1/registry/projects/${enc(need(a, 'a PROJECT'))}/robots`, {
        name: need(b, 'a robot NAME'), permissions: (values.permission ?? []).map(permissionOf),
        ...(days !== undefined ? { expiresInDays: days } : {}), ...(values.description ? { description: values.description } : {}),
      });
      if (out === 'table') process.stdout.write(`robot ${r.username} created, valid until ${r.expiresAt}; its secret is shown only now:\n${r.secret}\n`);
      else print(out, r, [r], robotColumns);
      return;
    }
    case 'delete':
      await client.request('DELETE', `/api/v1/registry/projects/${enc(need(a, 'a PROJECT'))}/robots/${enc(need(b, 'a robot NAME'))}`);
      process.stdout.write(`robot ${b} of ${a} deleted\n`);
      return;
    default:
      throw new CliError(usage, 2);
  }
}

async function repositoriesCommand(verb: string | undefined, { client, out, args: [a] }: Invocation): Promise<void> {
  switch (verb) {
    case 'list': {
      const list = await client.request<{ items: Repository[] }>('GET', `/api/v1/registry/projects/${enc(need(a, 'a PROJECT'))}/repositories`);
      print(out, list, list.items, repositoryColumns);
      return;
    }
    case 'delete':
      await client.request('DELETE', `/api/v1/registry/repositories?name=${enc(need(a, 'a REPOSITORY'))}`);
      process.stdout.write(`repository ${a} deleted\n`);
      return;
    default:
      throw new CliError(usage, 2);
  }
}

async function artifactsCommand(verb: string | undefined, { client, out, args: [a] }: Invocation): Promise<void> {
  if (verb !== 'list') throw new CliError(usage, 2);
  const list = await client.request<{ items: Artifact[] }>('GET', `/api/v1/registry/artifacts?repository=${enc(need(a, 'a REPOSITORY'))}`);
  print(out, list, list.items, artifactColumns);
}
