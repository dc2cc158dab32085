// Flag values of the tenancy commands (`berth clusters|tenants|namespaces|render|usage`): maps
// written `K=V,K=V`, tenant members written `KIND:NAME=ROLE`, and the list and path plumbing
// those commands share. Bad values are CliErrors with exit status 2, raised before any request.
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { CliError, type Client } from './client.ts';

/** A tenant member as the API takes it. */
export interface MemberArg {
  readonly kind: 'User' | 'Group';
  readonly name: string;
  readonly role: string;
}

/**
 * `K=V` pairs from one or more flag values, each a comma-separated list (`--quota pods=10,services=2`
 * or `--label site=a --label region=b`). A key given twice, an empty key or a pair without `=`
 * is refused, naming the flag and the pair.
 */
export function keyValues(values: readonly string[] | string | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  for (const pair of list.flatMap((v) => v.split(','))) {
    const text = pair.trim();
    if (text === '') continue;
    const eq = text.indexOf('=');
    if (eq <= 0) throw new CliError(`${flag} "${text}" must be KEY=VALUE`, 2);
    const key = text.slice(0, eq).trim();
    if (Object.hasOwn(out, key)) throw new CliError(`${flag} gives "${key}" twice`, 2);
    out[key] = text.slice(eq + 1).trim();
  }
  return out;
}

/** A comma-separated list without empty entries (`--clusters a,b`). */
export function commaList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** `User:alice=tenant-admin` or `Group:devs=member` (kind case-insensitive); the role is the server's to check. */
export function memberOf(text: string): MemberArg {
  const m = /^(user|group):(.+)=([^=]+)$/i.exec(text.trim());
  if (!m) throw new CliError(`--member "${text}" must be KIND:NAME=ROLE, e.g. User:alice=tenant-admin or Group:devs=member`, 2);
  return { kind: m[1].toLowerCase() === 'user' ? 'User' : 'Group', name: m[2], role: m[3] };
}

/**
 * A LimitRange spec (`{ container?: {min,max,default,defaultRequest,maxLimitRequestRatio}, pod?: … }`)
 * from a YAML or JSON file; the server validates its contents. A file that cannot be read or
 * is not a mapping is a usage error naming the flag.
 */
export function limitRangeFile(file: string | undefined, flag: string): Record<string, unknown> | undefined {
  if (file === undefined) return undefined;
  let value: unknown;
  try {
    value = load(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read ${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 2);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${flag} ${file} must hold a mapping such as {container: {default: {cpu: 500m}}, pod: {max: {cpu: "2"}}}`, 2);
  }
  return value as Record<string, unknown>;
}

/** `value`, or a usage error saying that `what` is required. */
export function need(value: string | undefined, what: string, usage: string): string {
  if (value === undefined || value === '') throw new CliError(`${what} is required\n${usage}`, 2);
  return value;
}

/** One path segment, escaped. */
export const seg = encodeURIComponent;

/** Every item of a paginated list (`limit`/`continue`), following `continue` to the end. */
export async function listAll<T>(client: Client, path: string): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const page = await client.request<{ items: T[]; continue?: string; metadata?: { continue?: string } }>(
      'GET', `${path}${sep}limit=500${cont ? `&continue=${seg(cont)}` : ''}`);
    items.push(...page.items);
    cont = page.continue ?? page.metadata?.continue;
  } while (cont);
  return items;
}

/** `a=1,b=2` for a table cell, keys sorted as kubectl shows labels. */
export function mapText(map: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(',');
}
