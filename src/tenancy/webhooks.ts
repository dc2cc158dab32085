// The ValidatingWebhookConfiguration and MutatingWebhookConfiguration Berth registers in each
// member cluster, so that the cluster's API server asks Berth about objects in tenant namespaces.
// Pure; the reconciler applies the result with server-side apply beside each tenant's objects.
// Every field the API server would default is written out, so a second apply writes nothing.
import type { ClusterSettings, WebhookFailurePolicy } from './model.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, TENANT_LABEL, type Manifest } from './render.ts';

/** Name of both webhook configuration objects (they are cluster-scoped, one of each kind). */
export const WEBHOOK_CONFIGURATION_NAME = 'berth-admission';

/** Seconds an API server waits for Berth before the failurePolicy applies: short, it is on every create in a tenant namespace. */
export const WEBHOOK_TIMEOUT_SECONDS = 5;

/** Namespaces never sent to Berth even if someone labels them: a webhook outage must not stop the control plane. */
export const EXEMPT_NAMESPACES: readonly string[] = ['kube-node-lease', 'kube-public', 'kube-system'];

/** One webhook: which requests go to which Berth admission policy. */
export interface WebhookSpec {
  /** The policy name: served at `/admission/<mode>/<policy>`; the webhook is named `<policy>.admission.berth.io`. */
  readonly policy: string;
  readonly mode: 'validate' | 'mutate';
  /** Resources of the core group (`pods`, `services` …). */
  readonly resources: readonly string[];
  readonly operations: readonly ('CREATE' | 'UPDATE' | 'DELETE')[];
}

/** The webhooks Berth registers: the tenant-wide quota on what it counts, and NodePort assignment on Services created or updated. */
export const berthWebhooks: readonly WebhookSpec[] = [
  { policy: 'tenant-quota', mode: 'validate', resources: ['persistentvolumeclaims', 'pods', 'services'], operations: ['CREATE', 'UPDATE'] },
  { policy: 'nodeports', mode: 'mutate', resources: ['services'], operations: ['CREATE', 'UPDATE'] },
];

/** What {@link renderWebhookConfigurations} needs. */
export interface WebhookTarget {
  /** Berth's admission base URL as API servers reach it, e.g. `https://berth.example:9443`. */
  readonly url: string;
  /** The admission CA certificate, PEM. */
  readonly caPem: string;
  /** The member cluster's name: the last segment of each webhook's URL, so a policy knows which cluster asks. */
  readonly cluster: string;
  /** The cluster's settings; `webhookFailurePolicy` defaults to `Fail`. */
  readonly settings: ClusterSettings;
  /** The webhooks; {@link berthWebhooks} when absent. */
  readonly webhooks?: readonly WebhookSpec[];
}

function webhook(spec: WebhookSpec, target: WebhookTarget, failurePolicy: WebhookFailurePolicy): Record<string, unknown> {
  return {
    name: `${spec.policy}.admission.berth.io`,
    admissionReviewVersions: ['v1'],
    clientConfig: {
      url: `${target.url.replace(/\/+$/, '')}/admission/${spec.mode}/${spec.policy}/${target.cluster}`,
      caBundle: Buffer.from(target.caPem).toString('base64'),
    },
    failurePolicy,
    matchPolicy: 'Equivalent',
    namespaceSelector: {
      matchExpressions: [
        { key: TENANT_LABEL, operator: 'Exists' },
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...EXEMPT_NAMESPACES] },
      ],
    },
    objectSelector: {},
    ...(spec.mode === 'mutate' ? { reinvocationPolicy: 'Never' } : {}),
    rules: [{
      apiGroups: [''], apiVersions: ['v1'], operations: [...spec.operations], resources: [...spec.resources].sort(), scope: 'Namespaced',
    }],
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: WEBHOOK_TIMEOUT_SECONDS,
  };
}

/**
 * The two webhook configurations for one cluster, ValidatingWebhookConfiguration first, each
 * named {@link WEBHOOK_CONFIGURATION_NAME} and labelled managed-by Berth (no tenant label: they
 * belong to no tenant and a tenant's prune must never take them). A kind with no webhook in
 * `target.webhooks` is left out. Webhooks reach only namespaces carrying {@link TENANT_LABEL},
 * never {@link EXEMPT_NAMESPACES}.
 */
export function renderWebhookConfigurations(target: WebhookTarget): Manifest[] {
  const failurePolicy = target.settings.webhookFailurePolicy ?? 'Fail';
  const specs = target.webhooks ?? berthWebhooks;
  const metadata = { name: WEBHOOK_CONFIGURATION_NAME, labels: { [MANAGED_BY_LABEL]: MANAGED_BY } };
  const out: Manifest[] = [];
  for (const [mode, kind] of [['validate', 'ValidatingWebhookConfiguration'], ['mutate', 'MutatingWebhookConfiguration']] as const) {
    const webhooks = specs.filter((s) => s.mode === mode).map((s) => webhook(s, target, failurePolicy));
    if (webhooks.length > 0) out.push({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata, webhooks });
  }
  return out;
}
