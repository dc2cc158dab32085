// Sealed cluster credentials: they open only under the same server key and for the same cluster,
// never contain the plain text, and an altered seal is refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { BerthError } from '../platform/errors.ts';
import { credentialsKey, openCredentials, sealCredentials } from './connections.ts';

const kubeconfig = 'apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: s3cr3t-token-value}}]\n';

function refused(fn: () => unknown): BerthError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BerthError);
    return err;
  }
  assert.fail('expected a refusal');
}

test('a seal opens with the same key for the same cluster, and with nothing else', () => {
  const key = credentialsKey(randomBytes(32));
  const sealed = sealCredentials(key, 'east', kubeconfig);
  assert.equal(openCredentials(key, 'east', sealed), kubeconfig);
  assert.ok(!Buffer.from(sealed, 'base64').toString('latin1').includes('s3cr3t'), 'the plain text is not in the seal');
  assert.notEqual(sealCredentials(key, 'east', kubeconfig), sealed, 'every seal has its own IV');

  const otherKey = refused(() => openCredentials(credentialsKey(randomBytes(32)), 'east', sealed));
  assert.match(otherKey.message, /stored credentials of cluster "east" cannot be opened/);
  assert.ok(!otherKey.message.includes('s3cr3t'));
  refused(() => openCredentials(key, 'west', sealed));
  const raw = Buffer.from(sealed, 'base64');
  raw[raw.length - 1] ^= 1;
  refused(() => openCredentials(key, 'east', raw.toString('base64')));
  refused(() => openCredentials(key, 'east', 'AA=='));
});

test('the key is derived from the server key, the same for the same server key', () => {
  const server = randomBytes(32);
  assert.deepEqual(credentialsKey(server), credentialsKey(Buffer.from(server)));
  assert.notDeepEqual(credentialsKey(server), Buffer.from(server), 'not the server key itself');
  assert.equal(credentialsKey(server).length, 32);
});
