// Lint rules. Beyond typescript-eslint's recommended set, one architectural rule:
// the pure logic files of each area (everything but store/service/routes/controller/index
// and tests) may not import database, network, file-system or Kubernetes-client code.
import tseslint from 'typescript-eslint';

const ioModules = [
  'kysely', 'pg', 'node:sqlite', 'node:net', 'node:http', 'node:https', 'node:http2',
  'node:fs', 'node:fs/promises', 'node:dgram', 'node:child_process',
  'fastify', '@kubernetes/client-node',
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
    files: ['src/{objects,compute,network,storage,tenancy,images}/**/*.ts'],
    ignores: [
      '**/store.ts', '**/*-store.ts', '**/service.ts', '**/*-service.ts', '**/routes.ts', '**/*-routes.ts',
      '**/controller.ts', '**/*-controller.ts', '**/index.ts', '**/*.test.ts', '**/drivers/**', '**/http/**',
    ],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'pure logic files do no I/O (DESIGN.md section 3)' })),
        patterns: [
          { group: ['**/kube/**', '**/kube/index.ts'], message: 'pure logic never talks to Kubernetes' },
          { group: ['**/platform/db/**', '**/platform/database*'], message: 'pure logic never touches the database' },
        ],
      }],
    },
  },
);
