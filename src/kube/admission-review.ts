// The AdmissionReview exchange between a kube-apiserver and Berth's admission webhooks, in
// admission.k8s.io/v1 only (what every supported API server sends when the webhook configuration
// lists only v1). Pure: parsing a request body and building the answer in the API server's own
// shape; the HTTPS listener (admission-server.ts) does the I/O.

/** The AdmissionReview apiVersion Berth accepts and answers in. */
export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

/** Operations an API server sends to webhooks. */
export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
const operations: readonly AdmissionOperation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

/** A group/version/kind as the request names it. */
export interface GroupVersionKind { readonly group: string; readonly version: string; readonly kind: string }
/** A group/version/resource as the request names it. */
export interface GroupVersionResource { readonly group: string; readonly version: string; readonly resource: string }

/** Who asked the API server (authentication.k8s.io UserInfo). */
export interface AdmissionUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
}

/** One admission request, validated: what a policy decides on. */
export interface AdmissionRequest {
  /** Echoed in the answer; the API server matches answers to requests by it. */
  readonly uid: string;
  readonly kind: GroupVersionKind;
  readonly resource: GroupVersionResource;
  readonly subResource?: string;
  /** The object's name; absent on a CREATE whose name the server generates. */
  readonly name?: string;
  /** Absent for cluster-scoped objects. */
  readonly namespace?: string;
  readonly operation: AdmissionOperation;
  readonly userInfo: AdmissionUser;
  /** The object as it would be stored (absent on DELETE). */
  readonly object?: Record<string, unknown>;
  /** The stored object (UPDATE, DELETE). */
  readonly oldObject?: Record<string, unknown>;
  /**
   * True when the request is a dry run: the API server persists nothing, so a policy must
   * reserve, allocate or record nothing either (the webhooks declare sideEffects NoneOnDryRun).
   */
  readonly dryRun: boolean;
}

/** One RFC 6902 JSON Patch operation on the request's object. */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

/** A policy's answer. A refusal's words reach the user as `admission webhook "<name>" denied the request: <message>`. */
export type Verdict =
  | { readonly allowed: true; readonly warnings?: readonly string[] }
  | {
    readonly allowed: false;
    readonly message: string;
    /** HTTP code the API server answers the user with; 403 when absent. */
    readonly code?: number;
    /** A metav1 StatusReason such as `Forbidden`; derived from the code when absent. */
    readonly reason?: string;
    readonly warnings?: readonly string[];
  };

/** A mutating policy's answer: an allowed verdict may carry a patch. */
export type MutationVerdict =
  | (Extract<Verdict, { allowed: true }> & { readonly patch?: readonly JsonPatchOperation[] })
  | Extract<Verdict, { allowed: false }>;

/** The result of parsing a request body. */
export type ParsedReview = { readonly ok: true; readonly request: AdmissionRequest } | { readonly ok: false; readonly message: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: unknown): v is string | undefined => v === undefined || typeof v === 'string';

function gvk(v: unknown, field: string, last: 'kind' | 'resource'): string | undefined {
  if (!isObject(v)) return `request.${field} must be an object`;
  for (const k of ['group', 'version', last]) {
    if (typeof v[k] !== 'string') return `request.${field}.${k} must be a string`;
  }
  return undefined;
}

function user(v: unknown): AdmissionUser | string {
  if (v === undefined) return { username: '', groups: [] };
  if (!isObject(v)) return 'request.userInfo must be an object';
  if (!optString(v.username) || !optString(v.uid)) return 'request.userInfo.username and uid must be strings';
  if (v.groups !== undefined && !(Array.isArray(v.groups) && v.groups.every((g) => typeof g === 'string'))) {
    return 'request.userInfo.groups must be a list of strings';
  }
  return { username: v.username ?? '', ...(v.uid === undefined ? {} : { uid: v.uid }), groups: (v.groups as string[] | undefined) ?? [] };
}

function requestError(r: Json): string | undefined {
  if (typeof r.uid !== 'string' || r.uid === '' || r.uid.length > 256) return 'request.uid must be a non-empty string of at most 256 characters';
  if (!operations.includes(r.operation as AdmissionOperation)) return `request.operation must be one of ${operations.join(', ')}`;
  const shape = gvk(r.kind, 'kind', 'kind') ?? gvk(r.resource, 'resource', 'resource');
  if (shape !== undefined) return shape;
  if (!optString(r.name) || !optString(r.namespace) || !optString(r.subResource)) return 'request.name, namespace and subResource must be strings';
  if (r.object !== undefined && r.object !== null && !isObject(r.object)) return 'request.object must be an object';
  if (r.oldObject !== undefined && r.oldObject !== null && !isObject(r.oldObject)) return 'request.oldObject must be an object';
  if (r.dryRun !== undefined && typeof r.dryRun !== 'boolean') return 'request.dryRun must be a boolean';
  return undefined;
}

/**
 * Validates a decoded request body as an admission.k8s.io/v1 AdmissionReview with a request.
 * Never throws: a body that is not one comes back as `{ ok: false, message }` naming the field.
 */
export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isObject(body)) return { ok: false, message: 'the body must be a JSON object: an AdmissionReview' };
  if (body.kind !== 'AdmissionReview') return { ok: false, message: `kind must be AdmissionReview, got ${JSON.stringify(body.kind ?? null)}` };
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return { ok: false, message: `apiVersion must be ${ADMISSION_API_VERSION}, got ${JSON.stringify(body.apiVersion ?? null)} (list only v1 in admissionReviewVersions)` };
  }
  const r = body.request;
  if (!isObject(r)) return { ok: false, message: 'request must be an object' };
  const error = requestError(r);
  if (error !== undefined) return { ok: false, message: error };
  const userInfo = user(r.userInfo);
  if (typeof userInfo === 'string') return { ok: false, message: userInfo };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = str(r.name);
  const namespace = str(r.namespace);
  const subResource = str(r.subResource);
  return {
    ok: true,
    request: {
      uid: r.uid as string, kind: r.kind as GroupVersionKind, resource: r.resource as GroupVersionResource,
      ...(subResource === undefined ? {} : { subResource }), ...(name === undefined ? {} : { name }),
      ...(namespace === undefined ? {} : { namespace }),
      operation: r.operation as AdmissionOperation, userInfo,
      ...(isObject(r.object) ? { object: r.object } : {}), ...(isObject(r.oldObject) ? { oldObject: r.oldObject } : {}),
      dryRun: r.dryRun === true,
    },
  };
}

// metav1.StatusReason for the codes a policy is likely to use.
const reasonOf: Readonly<Record<number, string>> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid',
  429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/**
 * The AdmissionReview answering request `uid` with `verdict`: `allowed`, a metav1 Status
 * (code, reason, message) when refused, the patch base64-encoded with patchType JSONPatch when a
 * mutating verdict allows with a non-empty patch, and warnings when given.
 */
export function admissionResponse(uid: string, verdict: Verdict | MutationVerdict): Record<string, unknown> {
  const response: Json = { uid, allowed: verdict.allowed };
  if (!verdict.allowed) {
    const code = verdict.code ?? 403;
    response.status = { metadata: {}, status: 'Failure', code, reason: verdict.reason ?? reasonOf[code] ?? '', message: verdict.message };
  } else if ('patch' in verdict && verdict.patch !== undefined && verdict.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(verdict.patch)).toString('base64');
  }
  if (verdict.warnings !== undefined && verdict.warnings.length > 0) response.warnings = [...verdict.warnings];
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

/** A JSON Pointer (RFC 6901) from path segments, escaping `~` and `/` (as in annotation keys). */
export function jsonPointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
