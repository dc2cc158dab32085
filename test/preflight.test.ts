// `npm test` on a machine without the tests' components names each one, and its command, in one
// line before anything runs (the README's promise to a newcomer).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { missingComponents, missingLine } from '../scripts/preflight.ts';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('npm test names every missing component and its command in one line first', async () => {
  const env = {
    ...process.env,
    BERTH_TEST_PG_URL: `postgres://postgres:x@127.0.0.1:${await closedPort()}/postgres`,
    BERTH_KUBE_BIN: '/nonexistent/kube',
    BERTH_REGISTRY_TOOLS_BIN: '/nonexistent/tools',
    BERTH_CHROMIUM: '/nonexistent/chromium',
  };
  // A file filter that matches no test keeps the run to the preflight and an empty test run.
  const r = spawnSync(process.execPath, ['scripts/test.ts', 'test/no-such-test-file.test.ts'], { env, encoding: 'utf8' });
  const first = r.stderr.split('\n')[0];
  assert.match(first, /^missing: /);
  for (const [component, command] of [
    ['PostgreSQL', '.ci/setup/10-postgres.sh'],
    ['Kubernetes test binaries', 'test/clusters/build.sh'],
    ['crane, oras, conformance.test', 'test/registry/build-tools.sh'],
    ['chromium', 'apt-get install chromium'],
  ]) {
    assert.ok(first.includes(component), `${component} named in: ${first}`);
    assert.ok(first.includes(command), `${command} named in: ${first}`);
  }
  assert.ok(first.includes('bash .ci/run'));
});

test('npm test prints the line exactly when something is missing (never, after .ci/run)', async () => {
  const r = spawnSync(process.execPath, ['scripts/test.ts', 'test/no-such-test-file.test.ts'], { encoding: 'utf8' });
  const missing = await missingComponents();
  // CI runs after .ci/run, which provides every component.
  if (process.env.CI === 'true') assert.deepEqual(missing, []);
  if (missing.length === 0) assert.doesNotMatch(r.stderr, /^missing: /m);
  else assert.equal(r.stderr.split('\n')[0], missingLine(missing));
});
