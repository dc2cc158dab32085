#!/usr/bin/env node
// Berth is TypeScript run by Node's type stripping, which needs Node 24. When this
// shim is started by an older Node, it re-runs the CLI with the Node 24 that the
// package brings in as a devDependency (node_modules/.bin/node).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import(main);
} else {
  const node24 = join(root, 'node_modules', '.bin', 'node');
  if (!existsSync(node24)) {
    console.error('berth needs Node.js 24: run `npm ci` in the Berth folder first');
    process.exit(2);
  }
  const r = spawnSync(node24, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
