// OCI and Docker manifest media types, validation of a pushed manifest, and what it references
// (blobs, child manifests, subject). Pure: the service checks the references against the store.
import { isDigestSyntax } from './digest.ts';

/** Media types of the manifests the registry stores. */
export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** Docker schema 1 media types, refused (deprecated, signed with keys nobody verifies). */
export const schema1MediaTypes: readonly string[] = [
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
];

/** Layer media types whose blobs live elsewhere, so are not required in the registry. */
const nondistributable: readonly string[] = [
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
];

/** Largest manifest accepted, bytes (the size Distribution and the OCI spec's guidance use). */
export const maxManifestBytes = 4 * 1024 * 1024;

/** An OCI content descriptor, as far as the registry reads it. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What a valid manifest tells the registry. */
export interface ParsedManifest {
  readonly mediaType: string;
  readonly kind: 'manifest' | 'index';
  /** Blobs that must be present in the repository (config and distributable layers). */
  readonly blobs: readonly Descriptor[];
  /** Manifests an index lists; they must be present in the repository. */
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  /** `artifactType`, else the config's media type (image manifests), per the referrers API. */
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A manifest that cannot be stored; `code` is the OCI error code to answer. */
export interface ManifestProblem {
  readonly code: 'MANIFEST_INVALID' | 'UNSUPPORTED';
  readonly message: string;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function annotationsOf(v: unknown, where: string): Readonly<Record<string, string>> | undefined | ManifestProblem {
  if (v === undefined) return undefined;
  if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string')) return { code: 'MANIFEST_INVALID', message: `${where}.annotations must map strings to strings` };
  return v as Record<string, string>;
}

function descriptorOf(v: unknown, where: string): Descriptor | ManifestProblem {
  if (!isObject(v)) return { code: 'MANIFEST_INVALID', message: `${where} must be a descriptor object` };
  const { mediaType, digest, size, artifactType } = v;
  if (typeof mediaType !== 'string' || mediaType === '') return { code: 'MANIFEST_INVALID', message: `${where}.mediaType must be a non-empty string` };
  if (typeof digest !== 'string' || !isDigestSyntax(digest)) return { code: 'MANIFEST_INVALID', message: `${where}.digest "${String(digest)}" is not a valid digest` };
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return { code: 'MANIFEST_INVALID', message: `${where}.size must be a non-negative integer` };
  if (artifactType !== undefined && typeof artifactType !== 'string') return { code: 'MANIFEST_INVALID', message: `${where}.artifactType must be a string` };
  const annotations = annotationsOf(v.annotations, where);
  if (isProblem(annotations)) return annotations;
  return { mediaType, digest, size, ...(artifactType ? { artifactType } : {}), ...(annotations ? { annotations } : {}) };
}

/** True when a value returned by this module is a problem rather than a result. */
export function isProblem(v: unknown): v is ManifestProblem {
  return isObject(v) && typeof v.code === 'string' && typeof v.message === 'string' && !('kind' in v) && !('digest' in v);
}

function descriptors(v: unknown, where: string): Descriptor[] | ManifestProblem {
  if (!Array.isArray(v)) return { code: 'MANIFEST_INVALID', message: `${where} must be an array` };
  const out: Descriptor[] = [];
  for (let i = 0; i < v.length; i++) {
    const d = descriptorOf(v[i], `${where}[${i}]`);
    if (isProblem(d)) return d;
    out.push(d);
  }
  return out;
}

/**
 * Validates a manifest pushed with `contentType` (the request's Content-Type, may be empty) and
 * returns what it references, or the problem to answer. The bytes must be UTF-8 JSON that
 * survives a round trip, so that what is stored is exactly what was pushed.
 */
export function parseManifest(bytes: Uint8Array, contentType: string): ParsedManifest | ManifestProblem {
  const text = Buffer.from(bytes).toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(Buffer.from(bytes))) return { code: 'MANIFEST_INVALID', message: 'the manifest is not valid UTF-8' };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { code: 'MANIFEST_INVALID', message: `the manifest is not valid JSON: ${(err as Error).message}` };
  }
  if (!isObject(doc)) return { code: 'MANIFEST_INVALID', message: 'the manifest must be a JSON object' };
  const header = contentType.split(';')[0].trim().toLowerCase();
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (doc.mediaType !== undefined && declared === undefined) return { code: 'MANIFEST_INVALID', message: 'mediaType must be a string' };
  if (schema1MediaTypes.includes(header) || (declared && schema1MediaTypes.includes(declared)) || doc.schemaVersion === 1) {
    return { code: 'MANIFEST_INVALID', message: 'Docker schema 1 manifests are not supported; push an OCI or Docker schema 2 manifest' };
  }
  const known = Object.values(mediaTypes) as string[];
  if (declared && header && header !== declared && known.includes(header)) {
    return { code: 'MANIFEST_INVALID', message: `the manifest's mediaType "${declared}" does not match the Content-Type "${header}"` };
  }
  const mediaType = declared ?? (known.includes(header) ? header : undefined) ?? (Array.isArray(doc.manifests) ? mediaTypes.ociIndex : mediaTypes.ociManifest);
  if (!known.includes(mediaType)) return { code: 'MANIFEST_INVALID', message: `unsupported manifest media type "${mediaType}"` };
  if (doc.schemaVersion !== 2) return { code: 'MANIFEST_INVALID', message: 'schemaVersion must be 2' };
  const annotations = annotationsOf(doc.annotations, 'manifest');
  if (isProblem(annotations)) return annotations;
  let subject: Descriptor | undefined;
  if (doc.subject !== undefined) {
    const s = descriptorOf(doc.subject, 'subject');
    if (isProblem(s)) return s;
    subject = s;
  }
  if (doc.artifactType !== undefined && typeof doc.artifactType !== 'string') return { code: 'MANIFEST_INVALID', message: 'artifactType must be a string' };
  const artifactType = doc.artifactType as string | undefined;
  const base = { mediaType, ...(subject ? { subject } : {}), ...(annotations ? { annotations } : {}) };

  if (mediaType === mediaTypes.ociIndex || mediaType === mediaTypes.dockerList) {
    const manifests = descriptors(doc.manifests, 'manifests');
    if (isProblem(manifests)) return manifests;
    return { ...base, kind: 'index', blobs: [], manifests, ...(artifactType ? { artifactType } : {}) };
  }
  const config = descriptorOf(doc.config, 'config');
  if (isProblem(config)) return config;
  const layers = doc.layers === undefined && mediaType === mediaTypes.ociManifest ? [] : descriptors(doc.layers, 'layers');
  if (isProblem(layers)) return layers;
  const blobs = [config, ...layers.filter((l) => !nondistributable.includes(l.mediaType))];
  return { ...base, kind: 'manifest', blobs, manifests: [], ...(artifactType || config.mediaType ? { artifactType: artifactType ?? config.mediaType } : {}) };
}

/**
 * Whether a client whose `Accept` header is `accept` may receive a manifest of `mediaType`.
 * No header, a wildcard, or a listed type accepts; a list of other types refuses.
 */
export function accepts(accept: string | undefined, mediaType: string): boolean {
  if (!accept || accept.trim() === '') return true;
  const listed = accept.split(',').map((s) => s.split(';')[0].trim().toLowerCase()).filter(Boolean);
  return listed.length === 0 || listed.some((t) => t === '*/*' || t === 'application/*' || t === mediaType || t === 'application/json');
}

