// The `berth` command: dispatches the first word to a command module. Each module exports
// `run(args)` that resolves to the process exit status; modules load lazily so that a quick
// command such as `berth check` never pays for the server's imports.
import type { CommandModule } from './command.ts';

const commands: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  server: { summary: 'run the Berth server', load: () => import('./server.ts') },
  login: { summary: 'log in and store a token', load: () => import('./session.ts').then((m) => m.login) },
  logout: { summary: 'forget the stored token', load: () => import('./session.ts').then((m) => m.logout) },
  whoami: { summary: 'show who the stored token belongs to', load: () => import('./session.ts').then((m) => m.whoami) },
  users: { summary: 'manage users', load: () => import('./users.ts') },
  tokens: { summary: 'manage personal API tokens', load: () => import('./tokens.ts') },
  audit: { summary: 'list, export and verify the audit log', load: () => import('./audit.ts') },
  ports: { summary: 'reserve, allocate, release and list the NodePorts of a cluster', load: () => import('./ports.ts') },
  check: { summary: 'offline admission preflight (LimitRange, ResourceQuota, QoS)', load: () => import('./check.ts') },
  registry: { summary: 'manage the image registry', load: () => import('./registry.ts') },
  clusters: { summary: 'register and inspect the Kubernetes clusters Berth manages', load: () => import('./clusters.ts') },
  tenants: { summary: 'manage tenants: members, clusters, quota', load: () => import('./tenants.ts') },
  namespaces: { summary: "manage a tenant's namespaces on its clusters", load: () => import('./namespaces.ts') },
  render: { summary: 'print the objects Berth applies for a tenant (YAML or JSON)', load: () => import('./render.ts') },
  usage: { summary: "show a tenant's quota: hard, allocated, used", load: () => import('./usage.ts') },

};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: berth <command> [flags]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`berth: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

process.exitCode = await main(process.argv.slice(2));
