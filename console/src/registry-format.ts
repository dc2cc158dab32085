// How the registry pages write sizes, digests, quotas and the commands users copy. Pure.

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * A byte count in binary units with at most three significant digits before rounding
 * (`512 B`, `1.5 KiB`, `20 MiB`, `1.00 GiB` → `1 GiB`). Negative or non-finite counts give '—'.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${value} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  // Number() drops the trailing zeros toFixed leaves, so 1.50 reads 1.5.
  return `${Number(value.toFixed(digits))} ${units[unit]}`;
}

/** `sha256:0123456789ab…` → `sha256:0123456789ab` (algorithm and the first 12 hex digits, as Docker shows). */
export function shortDigest(digest: string): string {
  const colon = digest.indexOf(':');
  if (colon < 0) return digest.slice(0, 12);
  return `${digest.slice(0, colon)}:${digest.slice(colon + 1, colon + 13)}`;
}

/** The reference of an artifact: `host/repository:tag` when a tag is given, else `host/repository@digest`. */
export function imageReference(host: string, repository: string, ref: { readonly tag?: string; readonly digest?: string }): string {
  if (ref.tag !== undefined && ref.tag !== '') return `${host}/${repository}:${ref.tag}`;
  if (ref.digest !== undefined && ref.digest !== '') return `${host}/${repository}@${ref.digest}`;
  throw new Error('imageReference needs a tag or a digest');
}

/** `docker pull <reference>` for a tag or, without one, the digest. Throws when neither is given. */
export function pullCommand(host: string, repository: string, ref: { readonly tag?: string; readonly digest?: string }): string {
  return `docker pull ${imageReference(host, repository, ref)}`;
}

/** Quotes a word for a POSIX shell only when it needs it (robot names hold `$`). */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_./:@%+=,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that logs Docker in to `host` as `username`, reading the secret from standard input
 * so that it stays out of the process list and the shell's history of arguments.
 */
export function dockerLoginCommand(host: string, username: string, secret: string): string {
  return `echo ${shellQuote(secret)} | docker login ${shellQuote(host)} --username ${shellQuote(username)} --password-stdin`;
}

/** Usage against a quota: the percentage used (0–100, capped), or undefined when the limit is -1 (none). */
export function quotaPercent(used: number, limit: number): number | undefined {
  if (limit < 0) return undefined;
  if (limit === 0) return used > 0 ? 100 : 0;
  return Math.min(100, Math.round((used / limit) * 100));
}

/** The part of a repository name after its project (`apps/team/web` → `team/web`). */
export function repositoryPath(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(slash + 1);
}

/** An artifact as far as referrers are concerned. */
export interface Referable {
  readonly digest: string;
  readonly subject: string;
}

/**
 * The artifacts whose `subject` is each digest (signatures, SBOMs pointing at an image), in the
 * order given. Artifacts without a subject refer to nothing.
 */
export function referrersByDigest<T extends Referable>(artifacts: readonly T[]): ReadonlyMap<string, readonly T[]> {
  const out = new Map<string, T[]>();
  for (const a of artifacts) {
    if (a.subject === '') continue;
    out.set(a.subject, [...(out.get(a.subject) ?? []), a]);
  }
  return out;
}

/** One condition under which a retention policy keeps an artifact. */
export type RetentionKeep =
  | { readonly kind: 'latest'; readonly count: number }
  | { readonly kind: 'tags'; readonly tags: readonly string[] }
  | { readonly kind: 'pulled'; readonly days: number };

/** What a retention policy keeps, in a fixed order (newest N, tags, recently pulled); empty tag lists say nothing. */
export function retentionKeeps(policy: { readonly keepLatest?: number; readonly keepTags?: readonly string[]; readonly keepPulledWithinDays?: number }): readonly RetentionKeep[] {
  const out: RetentionKeep[] = [];
  if (policy.keepLatest !== undefined) out.push({ kind: 'latest', count: policy.keepLatest });
  if (policy.keepTags !== undefined && policy.keepTags.length > 0) out.push({ kind: 'tags', tags: policy.keepTags });
  if (policy.keepPulledWithinDays !== undefined) out.push({ kind: 'pulled', days: policy.keepPulledWithinDays });
  return out;
}

const mediaTypeLabels: Readonly<Record<string, string>> = {
  'application/vnd.oci.image.manifest.v1+json': 'OCI image manifest',
  'application/vnd.oci.image.index.v1+json': 'OCI image index',
  'application/vnd.docker.distribution.manifest.v2+json': 'Docker manifest v2',
  'application/vnd.docker.distribution.manifest.list.v2+json': 'Docker manifest list',
};

/** A short name for the manifest media types the registry stores; other types are returned as given. */
export function mediaTypeLabel(mediaType: string): string {
  return mediaTypeLabels[mediaType] ?? mediaType;
}
