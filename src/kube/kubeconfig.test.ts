import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../platform/errors.ts';
import { inlineKubeconfigFile, parseKubeconfig, toKubeConfig } from './kubeconfig.ts';

const pemB64 = (label: string): string => Buffer.from(`-----BEGIN ${label}-----\nAAAA\n-----END ${label}-----\n`).toString('base64');

function config(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'ctx',
    clusters: [{ name: 'k', cluster: { server: 'https://10.0.0.1:6443', 'certificate-authority-data': pemB64('CERTIFICATE'), ...cluster } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'ctx', context: { cluster: 'k', user: 'u' } }],
  });
}

function refusal(text: string, options = {}): BerthError {
  try {
    parseKubeconfig(text, options);
  } catch (err) {
    assert.ok(err instanceof BerthError);
    assert.equal(err.reason, 'Invalid');
    return err;
  }
  assert.fail('expected a refusal');
}

test('inline token, client certificate and basic-auth users are read from the current context', () => {
  const token = parseKubeconfig(config({ token: 'abc' }));
  assert.deepEqual([token.server, token.token, token.insecureSkipTlsVerify, token.caPem?.startsWith('-----BEGIN CERTIFICATE')], ['https://10.0.0.1:6443', 'abc', false, true]);
  const cert = parseKubeconfig(config({ 'client-certificate-data': pemB64('CERTIFICATE'), 'client-key-data': pemB64('EC PRIVATE KEY') }));
  assert.ok(cert.clientKeyPem?.includes('EC PRIVATE KEY'));
  const basic = parseKubeconfig(`${'apiVersion: v1\ncurrent-context: ctx\n'}clusters:\n- name: k\n  cluster: {server: "https://h:1/"}\nusers:\n- name: u\n  user: {username: a, password: b}\ncontexts:\n- name: ctx\n  context: {cluster: k, user: u}\n`);
  assert.deepEqual([basic.server, basic.username, basic.password, basic.caPem], ['https://h:1', 'a', 'b', undefined]);
  assert.equal(toKubeConfig(token).getCurrentUser()?.token, 'abc');
});

test('exec and auth-provider plugins, file references, impersonation and proxies are refused, one cause each, secrets unnamed', () => {
  const exec = refusal(config({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'aws' } }));
  assert.match(exec.message, /users\[u\]\.user\.exec: exec credential plugins are not supported/);
  assert.match(refusal(config({ 'auth-provider': { name: 'oidc' } })).message, /auth-provider plugins are not supported/);
  const files = refusal(config({ 'token-file': '/etc/shadow', 'client-certificate': 'a.crt', 'client-key': 'a.key' }, { 'certificate-authority': '/etc/ca.crt', 'proxy-url': 'http://p:3128' }));
  assert.deepEqual(files.causes.map((c) => c.field), [
    'clusters[k].cluster.certificate-authority', 'users[u].user.client-certificate', 'users[u].user.client-key',
    'users[u].user.token-file', 'clusters[k].cluster.proxy-url',
  ]);
  assert.match(refusal(config({ token: 't', as: 'root' })).message, /impersonation is not supported/);
  const noCreds = refusal(config({}));
  assert.match(noCreds.message, /has no credentials/);
  assert.ok(!refusal(config({ token: 'sekrit', exec: {} })).message.includes('sekrit'));
});

test('TLS verification stays on unless explicitly allowed off; the server must be https', () => {
  const insecure = config({ token: 't' }, { 'insecure-skip-tls-verify': true });
  assert.match(refusal(insecure).message, /insecure-skip-tls-verify: TLS verification may not be turned off/);
  assert.equal(parseKubeconfig(insecure, { allowInsecureSkipTlsVerify: true }).insecureSkipTlsVerify, true);
  assert.match(refusal(config({ token: 't' }, { server: 'http://10.0.0.1:8080' })).message, /server: must be an https:\/\/ URL/);
  assert.match(refusal(config({ token: 't' }, { server: 'https://u:p@h:1' })).message, /must not hold credentials/);
  assert.match(refusal(config({ token: 't' }, { 'certificate-authority-data': 'bm90IGEgcGVt' })).message, /certificate-authority-data: must be base64-encoded PEM/);
  assert.match(refusal('- just\n- a list\n').message, /is not a kubeconfig/);
  assert.match(refusal('{').message, /is not YAML or JSON/);
  assert.match(refusal(config({ token: 't' }), { context: 'other' }).message, /contexts: no entry named "other"/);
  assert.match(refusal(`x: ${'a'.repeat(300 * 1024)}`).message, /is larger than/);
});

test('inlineKubeconfigFile inlines the files a kubeconfig names, relative to its folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-kc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.crt'), Buffer.from(pemB64('CERTIFICATE'), 'base64'));
  writeFileSync(join(dir, 'token'), 'tok-123\n');
  writeFileSync(join(dir, 'kc.yaml'), JSON.stringify({
    'current-context': 'ctx',
    clusters: [{ name: 'k', cluster: { server: 'https://h:1', 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'u', user: { 'token-file': join(dir, 'token') } }],
    contexts: [{ name: 'ctx', context: { cluster: 'k', user: 'u' } }],
  }));
  const creds = parseKubeconfig(await inlineKubeconfigFile(join(dir, 'kc.yaml')));
  assert.equal(creds.token, 'tok-123');
  assert.ok(creds.caPem?.startsWith('-----BEGIN CERTIFICATE'));
});
