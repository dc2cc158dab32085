// The admission listener on its own: what it answers to hostile or wrong input (every refusal a
// Status naming the problem, bodies bounded while they arrive), how it answers a well-formed
// review, and where its CA lives (in the database, shared by replicas, its key sealed), on both
// backends.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { pino } from 'pino';
import { loadConfig } from '../../src/platform/config.ts';
import { startServer } from '../../src/platform/server.ts';
import { MAX_ADMISSION_REVIEW_BYTES, type AdmissionRequest } from '../../src/kube/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { backends } from '../support/pg.ts';

interface Answer { readonly status: number; readonly body: any }

function post(server: TestServer, path: string, body: string | Buffer | (() => AsyncIterable<Buffer>), headers: Record<string, string> = { 'content-type': 'application/json' }, method = 'POST'): Promise<Answer> {
  const { url, caPem } = server.server.deps.admission;
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, ca: caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let parsed: unknown = text;
        try { parsed = JSON.parse(text); } catch { /* keep the text */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    if (typeof body === 'function') {
      (async () => {
        for await (const chunk of body()) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        req.end();
      })().catch(() => { /* the server may cut the body short: the answer is what counts */ });
    } else {
      req.end(body);
    }
  });
}

const review = (extra: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
  request: {
    uid: 'c0ffee00-0000-4000-8000-000000000001', kind: { group: '', version: 'v1', kind: 'Service' },
    resource: { group: '', version: 'v1', resource: 'services' }, namespace: 'team-a', name: 'web', operation: 'CREATE',
    userInfo: { username: 'alice' }, object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' } }, dryRun: true,
  },
  ...extra,
});

describe('the admission listener refuses bad input with a clear Status', () => {
  let server: TestServer;
  const seen: AdmissionRequest[] = [];
  before(async () => {
    server = await startTestServer();
    // A test policy: allows, and on mutation adds one label.
    server.server.deps.admission.policies.register('test-policy', {
      async validate(req) { seen.push(req); return { allowed: true }; },
      async mutate(req) { seen.push(req); return { allowed: true, patch: [{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }] }; },
    });
  });
  after(() => server?.close());

  it('answers a well-formed review in the API server\'s shape, uid echoed, dry run passed on', async () => {
    const r = await post(server, '/admission/mutate/test-policy', review());
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      response: {
        uid: 'c0ffee00-0000-4000-8000-000000000001', allowed: true, patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/labels', value: { mutated: 'yes' } }])).toString('base64'),
      },
    });
    assert.equal(seen.at(-1)?.dryRun, true);
  });
  const cases: readonly [string, () => Promise<Answer>, number, RegExp][] = [
    ['another kind', () => post(server, '/admission/validate/test-policy', JSON.stringify({ ...JSON.parse(review()), kind: 'Pod' })), 400, /kind must be AdmissionReview, got "Pod"/],
    ['another version', () => post(server, '/admission/validate/test-policy', review({ apiVersion: 'admission.k8s.io/v1beta1' })), 400, /apiVersion must be admission.k8s.io\/v1, got "admission.k8s.io\/v1beta1"/],
    ['no request', () => post(server, '/admission/validate/test-policy', review({ request: undefined })), 400, /request must be an object/],
    ['not JSON', () => post(server, '/admission/validate/test-policy', '{"apiVersion": '), 400, /the body is not valid JSON/],
    ['an empty body', () => post(server, '/admission/validate/test-policy', ''), 400, /the body is empty/],
    ['not application/json', () => post(server, '/admission/validate/test-policy', review(), { 'content-type': 'text/plain' }), 415, /must be sent as application\/json/],
    ['a body over 3 MiB, declared', () => post(server, '/admission/validate/test-policy', Buffer.alloc(MAX_ADMISSION_REVIEW_BYTES + 1, 0x20)), 413, /larger than 3145728 bytes/],
    ['a body over 3 MiB, streamed without a length', () => post(server, '/admission/validate/test-policy', async function* () {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(64 * 1024, 0x20);
    }, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }), 413, /larger than 3145728 bytes/],
    ['a policy nobody registered', () => post(server, '/admission/validate/nobody-serves-this', review()), 404, /no admission policy serves \/admission\/validate\/nobody-serves-this/],
    ['a policy nobody registered, with a cluster', () => post(server, '/admission/validate/nobody-serves-this/east', review()), 404, /no admission policy serves \/admission\/validate\/nobody-serves-this/],
    ['a mode that does not exist', () => post(server, '/admission/audit/test-policy', review()), 404, /no admission policy serves/],
    ['another path', () => post(server, '/api/v1/users', review()), 404, /webhooks are POST \/admission\/validate\/<name>/],
    ['GET', () => post(server, '/admission/validate/test-policy', '', {}, 'GET'), 404, /no admission webhook at GET/],
  ];
  it('closes a request whose body stops coming, within the 10 s bound', async () => {
    const { url, caPem } = server.server.deps.admission;
    const began = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port), ca: caPem }, () => {
        socket.write('POST /admission/validate/test-policy HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
      });
      let text = '';
      socket.on('data', (c: Buffer) => { text += c.toString(); });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    const took = Date.now() - began;
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(took >= 9_000 && took < 13_000, `closed after ${took} ms`);
  });
  for (const [name, send, status, message] of cases) {
    it(`${name} → ${status}`, async () => {
      const r = await send();
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.code, status);
      assert.match(r.body.message, message);
    });
  }
});

for (const backend of backends) {
  describe(`the admission CA lives in the database (${backend})`, () => {
    it('is shared by replicas, its key sealed, and refused to a server with another secret key', async () => {
      const a = await startTestServer(backend);
      try {
        const env = {
          BERTH_WEBHOOK_PORT: '0', BERTH_SECRET_KEY: Buffer.from(a.server.deps.secretKey).toString('hex'),
          ...(a.databaseUrl ? { BERTH_DATABASE_URL: a.databaseUrl } : {}),
        };
        const args = ['--port', '0', '--host', '127.0.0.1', '--data-dir', a.dataDir];
        const b = await startServer(loadConfig(args, env), { logger: pino({ level: 'silent' }) });
        try {
          assert.equal(b.deps.admission.caPem, a.server.deps.admission.caPem);
          assert.notEqual(b.deps.admission.certificate().serial, a.server.deps.admission.certificate().serial, 'each replica its own serving certificate');
        } finally {
          await b.close();
        }
        const rows = await (a.server.deps.db.kysely as unknown as Kysely<any>).selectFrom('tls_authorities').selectAll().execute();
        assert.deepEqual(rows.map((r) => r.name), ['admission']);
        assert.equal(rows[0].cert_pem, a.server.deps.admission.caPem);
        assert.doesNotMatch(rows[0].key_sealed, /PRIVATE KEY/);
        assert.doesNotMatch(Buffer.from(rows[0].key_sealed, 'base64').toString('latin1'), /PRIVATE KEY/);
        await assert.rejects(
          startServer(loadConfig(args, { ...env, BERTH_SECRET_KEY: 'ab'.repeat(32) }), { logger: pino({ level: 'silent' }) }),
          /private key of TLS authority "admission" cannot be unsealed: the server's secret key is not the one it was stored with/,
        );
      } finally {
        await a.close();
      }
    });
  });
}
