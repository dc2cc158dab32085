import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { admissionResponse, jsonPointer, parseAdmissionReview } from './admission-review.ts';

const request = {
  uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  requestKind: { group: '', version: 'v1', kind: 'Pod' },
  name: 'web', namespace: 'team-a', operation: 'CREATE',
  userInfo: { username: 'alice', uid: 'u1', groups: ['system:authenticated'] },
  object: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } },
  oldObject: null, dryRun: false, options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
};
const review = (r: unknown, extra: Record<string, unknown> = {}) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: r, ...extra });

describe('parsing an AdmissionReview request', () => {
  it('keeps what policies decide on; absent oldObject and dryRun false', () => {
    const parsed = parseAdmissionReview(review(request));
    assert.deepEqual(parsed, {
      ok: true,
      request: {
        uid: request.uid, kind: request.kind, resource: request.resource, name: 'web', namespace: 'team-a', operation: 'CREATE',
        userInfo: { username: 'alice', uid: 'u1', groups: ['system:authenticated'] }, object: request.object, dryRun: false,
      },
    });
  });
  it('marks a dry run, and accepts a cluster-scoped request with a generated name', () => {
    const parsed = parseAdmissionReview(review({ ...request, name: '', namespace: undefined, dryRun: true, userInfo: undefined }));
    assert.ok(parsed.ok);
    assert.equal(parsed.request.dryRun, true);
    assert.equal(parsed.request.name, undefined);
    assert.equal(parsed.request.namespace, undefined);
    assert.deepEqual(parsed.request.userInfo, { username: '', groups: [] });
  });
  const bad: readonly [string, unknown, RegExp][] = [
    ['not an object', [1], /must be a JSON object/],
    ['another kind', { ...review(request), kind: 'Pod' }, /kind must be AdmissionReview, got "Pod"/],
    ['v1beta1', { ...review(request), apiVersion: 'admission.k8s.io/v1beta1' }, /apiVersion must be admission.k8s.io\/v1, got "admission.k8s.io\/v1beta1"/],
    ['no apiVersion', { kind: 'AdmissionReview', request }, /got null/],
    ['no request', review(undefined), /request must be an object/],
    ['a response instead', { ...review(undefined), response: { uid: 'x', allowed: true } }, /request must be an object/],
    ['no uid', review({ ...request, uid: '' }), /request.uid must be a non-empty string/],
    ['a huge uid', review({ ...request, uid: 'x'.repeat(257) }), /at most 256/],
    ['unknown operation', review({ ...request, operation: 'PATCH' }), /request.operation must be one of CREATE, UPDATE, DELETE, CONNECT/],
    ['kind without version', review({ ...request, kind: { group: '', kind: 'Pod' } }), /request.kind.version must be a string/],
    ['resource missing', review({ ...request, resource: undefined }), /request.resource must be an object/],
    ['numeric namespace', review({ ...request, namespace: 7 }), /namespace and subResource must be strings/],
    ['object a list', review({ ...request, object: [] }), /request.object must be an object/],
    ['dryRun a string', review({ ...request, dryRun: 'true' }), /request.dryRun must be a boolean/],
    ['groups not strings', review({ ...request, userInfo: { username: 'a', groups: [1] } }), /groups must be a list of strings/],
  ];
  for (const [name, body, message] of bad) {
    it(`refuses ${name}, saying why`, () => {
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.ok, false);
      assert.match((parsed as { message: string }).message, message);
    });
  }
});

describe('answering in the API server\'s shape', () => {
  it('allows, echoing the uid', () => {
    assert.deepEqual(admissionResponse('u-1', { allowed: true }), { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u-1', allowed: true } });
  });
  it('refuses with a Status: 403 Forbidden by default, or the code and reason given', () => {
    assert.deepEqual(admissionResponse('u-2', { allowed: false, message: 'exceeded tenant quota' }).response, {
      uid: 'u-2', allowed: false, status: { metadata: {}, status: 'Failure', code: 403, reason: 'Forbidden', message: 'exceeded tenant quota' },
    });
    assert.deepEqual((admissionResponse('u-3', { allowed: false, message: 'm', code: 422 }).response as any).status.reason, 'Invalid');
    assert.deepEqual((admissionResponse('u-4', { allowed: false, message: 'm', code: 409, reason: 'AlreadyExists' }).response as any).status.reason, 'AlreadyExists');
  });
  it('sends a patch base64 as JSONPatch only when there is one, with warnings', () => {
    const patch = [{ op: 'add' as const, path: jsonPointer('metadata', 'annotations', 'berth.io/node-port'), value: '30001' }];
    const r = admissionResponse('u-5', { allowed: true, patch, warnings: ['took port 30001'] }).response as any;
    assert.equal(r.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(r.patch, 'base64').toString()), [{ op: 'add', path: '/metadata/annotations/berth.io~1node-port', value: '30001' }]);
    assert.deepEqual(r.warnings, ['took port 30001']);
    assert.deepEqual(admissionResponse('u-6', { allowed: true, patch: [] }).response, { uid: 'u-6', allowed: true });
  });
  it('escapes JSON Pointer segments', () => {
    assert.equal(jsonPointer('spec', 'ports', 0, 'nodePort'), '/spec/ports/0/nodePort');
    assert.equal(jsonPointer('a~b/c'), '/a~0b~1c');
  });
});
