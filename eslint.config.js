// Lint rules. Beyond typescript-eslint's recommended set, two architectural rules:
// - the pure logic files of each area and of the platform (everything but the I/O roles listed
//   below, and tests) may not import database, network, file-system or Kubernetes-client code,
//   by either spelling of a Node built-in ('fs' or 'node:fs'), load code dynamically, or reach
//   the network through the global fetch;
// - configuration comes from loadConfig (src/platform/config.ts), which is handed the
//   environment: only the CLI, the process's edge, reads process.env.
import tseslint from 'typescript-eslint';

const builtins = [
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'dgram', 'dns', 'dns/promises', 'tls',
  'child_process', 'worker_threads', 'cluster', 'sqlite',
];
const ioModules = [
  ...builtins, ...builtins.map((name) => `node:${name}`),
  'kysely', 'pg', 'fastify', '@kubernetes/client-node',
];
const pureMessage = 'pure logic files do no I/O (DESIGN.md section 3)';

const pureRules = {
  'no-restricted-imports': ['error', {
    paths: ioModules.map((name) => ({ name, message: pureMessage })),
    patterns: [
      { group: ['**/kube/**', '**/kube/index.ts'], message: 'pure logic never talks to Kubernetes' },
      { group: ['**/platform/db/**', '**/platform/database*', './db/*', '../db/*'], message: 'pure logic never touches the database' },
    ],
  }],
  'no-restricted-globals': ['error',
    { name: 'fetch', message: pureMessage }, { name: 'WebSocket', message: pureMessage }],
  'no-restricted-properties': ['error',
    { object: 'globalThis', property: 'fetch', message: pureMessage },
    { object: 'process', property: 'env', message: 'configuration comes from loadConfig (src/platform/config.ts)' }],
  'no-restricted-syntax': ['error', { selector: 'ImportExpression', message: `${pureMessage}: no dynamic import` }],
};

// Every area's I/O roles; each area's other files are pure.
const ioRoles = [
  '**/store.ts', '**/*-store.ts', '**/service.ts', '**/*-service.ts', '**/routes.ts', '**/*-routes.ts',
  '**/controller.ts', '**/*-controller.ts', '**/index.ts', '**/*.test.ts',
  // Schema changes beside a store, and the per-cluster client pool (tenancy/connections.ts).
  '**/migrations.ts', '**/*-migrations.ts', '**/connections.ts',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.cache/**', 'data/**', 'console/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests inspect arbitrary JSON answers.
    files: ['test/**/*.ts', '**/*.test.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', '**/*.test.ts'],
    rules: {
      'no-restricted-properties': ['error',
        { object: 'process', property: 'env', message: 'configuration comes from loadConfig (src/platform/config.ts)' }],
    },
  },
  {
    files: ['src/{objects,compute,network,storage,tenancy,images}/**/*.ts'],
    ignores: [...ioRoles, '**/drivers/**', '**/http/**'],
    rules: pureRules,
  },
  {
    // The platform's wiring and I/O: composition, database, outbox, the use-case path, HTTP
    // composition and metrics, leader election, the key file. The rest of src/platform is pure.
    files: ['src/platform/**/*.ts'],
    ignores: [
      ...ioRoles, 'src/platform/{server,area,areas,leader,secret-key,usecase}.ts', 'src/platform/db/**',
      'src/platform/outbox/**', 'src/platform/http/{app,errors,metrics,slow-clients}.ts',
    ],
    rules: pureRules,
  },
);
