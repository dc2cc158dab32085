// Runs every benchmark in bench/ one after another (or those named): `npm run bench [-- api check]`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3)).sort();
const chosen = wanted.length ? wanted : all;
const unknown = chosen.filter((b) => !all.includes(b));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; there are: ${all.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const b of chosen) {
  console.log(`\n=== bench/${b}.ts ===`);
  const r = spawnSync(process.execPath, [join(dir, `${b}.ts`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
