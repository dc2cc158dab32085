// The OCI distribution-spec conformance suite (its newest version, built from the Go module
// proxy) run in full against Berth with authentication on, on both database backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, startRegistryServer, tool } from './support.ts';
import { adminPassword } from '../support/server.ts';

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`the OCI conformance suite passes in full against Berth with authentication (${backend})`, { timeout: 600_000 }, async () => {
    const binary = tool('conformance.test');
    const s = await startRegistryServer(backend);
    const results = mkdtempSync(join(tmpdir(), 'berth-conformance-'));
    try {
      await s.createProject('conformance');
      // Anonymous access is off for this private project: every request below is authenticated.
      const anon = await fetch(`${s.url}/v2/conformance/repo1/tags/list`);
      assert.equal(anon.status, 401);
      const r = await run(binary, ['-test.timeout', '600s'], {
        env: {
          OCI_REGISTRY: s.host, OCI_TLS: 'disabled', OCI_USERNAME: 'admin', OCI_PASSWORD: adminPassword,
          OCI_REPO1: 'conformance/repo1', OCI_REPO2: 'conformance/repo2', OCI_RESULTS_DIR: results, OCI_VERSION: '1.1',
          // Optional features Berth implements are switched on too.
          OCI_API_BLOBS_UPLOAD_CANCEL: 'true', OCI_API_MANIFESTS_TAG_PARAM: 'true', OCI_API_BLOBS_DIGEST_HEADER: 'true', OCI_API_MANIFESTS_DIGEST_HEADER: 'true',
        },
        timeoutMs: 600_000,
        // No stray oci-conformance.yaml can change the run: the suite reads one from its working folder.
        cwd: results,
      });
      const output = r.stdout + r.stderr;
      const at = output.indexOf('OCI Conformance Result');
      assert.ok(at >= 0, `the suite printed no result (a configuration error exits 0):\n${output.slice(-4000)}`);
      const summary = output.slice(at);
      assert.equal(r.code, 0, `conformance failed:\n${output.slice(-6000)}`);
      assert.match(summary, /OCI Conformance Result: Pass/);
      assert.match(summary, /FAIL\.+:\s+0\b/);
      assert.match(summary, /Error\.+:\s+0\b/);
      const passed = Number(/Pass\.+:\s+(\d+)/.exec(summary)?.[1]);
      assert.ok(passed > 900, `only ${passed} checks passed`);
      assert.match(readFileSync(join(results, 'junit.xml'), 'utf8'), /<testsuite/);
    } finally {
      rmSync(results, { recursive: true, force: true });
      await s.close();
    }
  });
}
