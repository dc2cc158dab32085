// The one test command (README): type-check, lint, then every test file under src/ and test/.
// Runs on the Node 24 that npm scripts put first on PATH.
import { spawnSync } from 'node:child_process';
import { missingComponents, missingLine } from './preflight.ts';

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const only = process.argv.slice(2);
const line = missingLine(await missingComponents());
if (line !== undefined) console.error(line);
if (only.length === 0) {
  run('npx', ['tsc', '--noEmit']);
  run('npx', ['eslint', '.']);
}
const files = only.length > 0 ? only : ['src/**/*.test.ts', 'console/src/**/*.test.ts', 'test/**/*.test.ts'];
const concurrency = process.env.BERTH_TEST_CONCURRENCY ?? '3';
run(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files]);
