import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { berthWebhooks, renderWebhookConfigurations } from './webhooks.ts';

const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('the webhook configurations Berth registers in a member cluster', () => {
  it('renders both kinds, in the form the API server stores', () => {
    const [validating, mutating] = renderWebhookConfigurations({ url: 'https://berth.example:9443/', caPem, cluster: 'east', settings: {} });
    const common = {
      admissionReviewVersions: ['v1'], failurePolicy: 'Fail', matchPolicy: 'Equivalent',
      namespaceSelector: { matchExpressions: [
        { key: 'berth.io/tenant', operator: 'Exists' },
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-node-lease', 'kube-public', 'kube-system'] },
      ] },
      objectSelector: {}, sideEffects: 'NoneOnDryRun', timeoutSeconds: 5,
    };
    const caBundle = Buffer.from(caPem).toString('base64');
    assert.deepEqual(validating, {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'berth-admission', labels: { 'app.kubernetes.io/managed-by': 'berth' } },
      webhooks: [{
        name: 'tenant-quota.admission.berth.io', ...common,
        clientConfig: { url: 'https://berth.example:9443/admission/validate/tenant-quota/east', caBundle },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['persistentvolumeclaims', 'pods', 'services'], scope: 'Namespaced' }],
      }],
    });
    assert.deepEqual(mutating, {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'berth-admission', labels: { 'app.kubernetes.io/managed-by': 'berth' } },
      webhooks: [{
        name: 'nodeports.admission.berth.io', ...common, reinvocationPolicy: 'Never',
        clientConfig: { url: 'https://berth.example:9443/admission/mutate/nodeports/east', caBundle },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['services'], scope: 'Namespaced' }],
      }],
    });
  });
  it('takes the failure policy from the cluster\'s settings', () => {
    for (const policy of ['Fail', 'Ignore'] as const) {
      const out = renderWebhookConfigurations({ url: 'https://b:9443', caPem, cluster: 'east', settings: { webhookFailurePolicy: policy } });
      assert.deepEqual(out.flatMap((o) => (o.webhooks as { failurePolicy: string }[]).map((w) => w.failurePolicy)), [policy, policy]);
    }
  });
  it('leaves out a kind with no webhook', () => {
    const out = renderWebhookConfigurations({ url: 'https://b:9443', caPem, cluster: 'east', settings: {}, webhooks: berthWebhooks.filter((w) => w.mode === 'mutate') });
    assert.deepEqual(out.map((o) => o.kind), ['MutatingWebhookConfiguration']);
  });
});
