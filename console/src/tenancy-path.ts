// The tenancy pages' paths, read and written as values. Pure.

/** What a path under /clusters or /tenants shows. */
export type TenancyView =
  | { readonly kind: 'clusters' }
  | { readonly kind: 'cluster'; readonly cluster: string }
  | { readonly kind: 'tenants' }
  | { readonly kind: 'tenant'; readonly tenant: string }
  | { readonly kind: 'namespace'; readonly tenant: string; readonly cluster: string; readonly namespace: string }
  | { readonly kind: 'notFound' };

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Reads a browser path: `/clusters`, `/clusters/C`, `/tenants`, `/tenants/T` and
 * `/tenants/T/namespaces/C/N` (namespace N on cluster C). Trailing slashes are ignored;
 * anything else, including an undecodable segment or one holding `/`, is notFound.
 */
export function parseTenancyPath(pathname: string): TenancyView {
  const segments = pathname.split('/').filter((s) => s !== '').map(decode);
  if (segments.some((s) => s === undefined || s.includes('/'))) return { kind: 'notFound' };
  const [root, a, b, c, d, ...rest] = segments as string[];
  if (rest.length > 0) return { kind: 'notFound' };
  if (root === 'clusters' && b === undefined) return a === undefined ? { kind: 'clusters' } : { kind: 'cluster', cluster: a };
  if (root !== 'tenants') return { kind: 'notFound' };
  if (a === undefined) return { kind: 'tenants' };
  if (b === undefined) return { kind: 'tenant', tenant: a };
  if (b === 'namespaces' && c !== undefined && d !== undefined) return { kind: 'namespace', tenant: a, cluster: c, namespace: d };
  return { kind: 'notFound' };
}

/** The path of a view; `parseTenancyPath(tenancyPath(v))` gives `v` back. */
export function tenancyPath(view: Exclude<TenancyView, { readonly kind: 'notFound' }>): string {
  const e = encodeURIComponent;
  switch (view.kind) {
    case 'clusters': return '/clusters';
    case 'cluster': return `/clusters/${e(view.cluster)}`;
    case 'tenants': return '/tenants';
    case 'tenant': return `/tenants/${e(view.tenant)}`;
    case 'namespace': return `/tenants/${e(view.tenant)}/namespaces/${e(view.cluster)}/${e(view.namespace)}`;
  }
}
