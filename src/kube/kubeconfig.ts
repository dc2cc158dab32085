// Reads a kubeconfig that a platform admin hands Berth, before anything else touches it: only
// inline credentials (token, client certificate, basic auth). A kubeconfig arrives over the API,
// so anything that would make the server read its own files or run a program (token-file,
// certificate paths, exec, auth-provider) is refused here, never resolved: client-node's own
// parser would read a `token-file` path while parsing.
import { KubeConfig } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { invalid } from '../platform/errors.ts';
import type { BerthError, Cause } from '../platform/errors.ts';

/** Largest kubeconfig accepted, in bytes (a real one with three certificates is about 10 KiB). */
export const maxKubeconfigBytes = 256 * 1024;

/** What Berth needs to reach one API server as one user, taken from a kubeconfig's current context. */
export interface ClusterCredentials {
  /** `https://host:port` (no trailing slash). */
  readonly server: string;
  /** PEM of the certificate authorities that sign the API server's certificate; absent: the system's. */
  readonly caPem?: string;
  /** Name to verify the API server's certificate against, when it differs from the server's host. */
  readonly tlsServerName?: string;
  /** True only when the kubeconfig says `insecure-skip-tls-verify` and the caller allowed it. */
  readonly insecureSkipTlsVerify: boolean;
  /** Client certificate and key (PEM). */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  /** Bearer token. */
  readonly token?: string;
  /** Basic auth. */
  readonly username?: string;
  readonly password?: string;
  /** The context, cluster and user entries used, for messages (no secrets). */
  readonly contextName: string;
  readonly clusterName: string;
  readonly userName: string;
}

/** Options of {@link parseKubeconfig}. */
export interface ParseKubeconfigOptions {
  /** The context to use; default the kubeconfig's `current-context`. */
  readonly context?: string;
  /** Accept `insecure-skip-tls-verify: true` (and then `http://` servers); default false: refused. */
  readonly allowInsecureSkipTlsVerify?: boolean;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function named(list: unknown, key: string, name: string, field: string, causes: Cause[]): Obj | undefined {
  if (!Array.isArray(list)) {
    causes.push({ field, message: 'must be a list' });
    return undefined;
  }
  const entry = list.find((e) => isObj(e) && e.name === name) as Obj | undefined;
  if (entry === undefined) {
    causes.push({ field, message: `no entry named "${name}"` });
    return undefined;
  }
  if (!isObj(entry[key])) {
    causes.push({ field: `${field}[${name}].${key}`, message: 'is missing' });
    return undefined;
  }
  return entry[key] as Obj;
}

function pem(value: unknown, field: string, causes: Cause[]): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    causes.push({ field, message: 'must be base64-encoded PEM' });
    return undefined;
  }
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN ')) {
    causes.push({ field, message: 'must be base64-encoded PEM' });
    return undefined;
  }
  return text;
}

const fileFields: Readonly<Record<string, string>> = {
  'certificate-authority': 'certificate-authority-data',
  'client-certificate': 'client-certificate-data',
  'client-key': 'client-key-data',
  'token-file': 'token',
};

const refusedUserFields: Readonly<Record<string, string>> = {
  exec: 'exec credential plugins are not supported: Berth runs no programs named by a kubeconfig; use a token or a client certificate',
  'auth-provider': 'auth-provider plugins are not supported; use a token or a client certificate',
  as: 'impersonation is not supported in a cluster kubeconfig',
  'as-groups': 'impersonation is not supported in a cluster kubeconfig',
  'as-uid': 'impersonation is not supported in a cluster kubeconfig',
};

/**
 * Parses a kubeconfig (YAML or JSON) and returns the credentials of its current (or the given)
 * context. Pure: reads no file, runs nothing. Throws `Invalid` (kind `Kubeconfig`), one cause
 * per problem, when it is not a kubeconfig, is larger than {@link maxKubeconfigBytes}, names
 * files instead of inline data, uses exec/auth-provider/impersonation, has no usable
 * credentials, has a non-https server, or says `insecure-skip-tls-verify` without
 * `allowInsecureSkipTlsVerify`. Messages never contain the credentials.
 */
export function parseKubeconfig(text: string, options: ParseKubeconfigOptions = {}): ClusterCredentials {
  const fail = (causes: readonly Cause[]): BerthError => invalid('Kubeconfig', options.context ?? '', causes);
  const doc = readDocument(text, fail);
  const { contextName, clusterName, userName, cluster, user } = resolveContext(doc, options.context, fail);
  const causes: Cause[] = [];
  const cf = `clusters[${clusterName}].cluster`;
  const uf = `users[${userName}].user`;
  refuseUnsupported(cluster, user, cf, uf, causes);
  const insecure = cluster['insecure-skip-tls-verify'] === true;
  if (insecure && options.allowInsecureSkipTlsVerify !== true) {
    causes.push({ field: `${cf}.insecure-skip-tls-verify`, message: 'TLS verification may not be turned off (the API server\'s certificate authority belongs in certificate-authority-data)' });
  }
  const server = serverOf(cluster, cf, insecure && options.allowInsecureSkipTlsVerify === true, causes);
  const caPem = pem(cluster['certificate-authority-data'], `${cf}.certificate-authority-data`, causes);
  const credentials = userCredentials(user, uf, causes);
  const tlsServerName = optionalString(cluster['tls-server-name'], `${cf}.tls-server-name`, causes);
  if (causes.length > 0) throw fail(causes);
  return {
    server, insecureSkipTlsVerify: insecure, contextName, clusterName, userName,
    ...(caPem === undefined ? {} : { caPem }),
    ...(tlsServerName === undefined ? {} : { tlsServerName }),
    ...credentials,
  };
}

/** The kubeconfig's document: bounded in size, YAML without aliases, a mapping. */
function readDocument(text: string, fail: (causes: readonly Cause[]) => BerthError): Obj {
  if (Buffer.byteLength(text) > maxKubeconfigBytes) throw fail([{ message: `is larger than ${maxKubeconfigBytes} bytes` }]);
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 0 });
  } catch (err) {
    throw fail([{ message: `is not YAML or JSON: ${(err as Error).message.split('\n')[0]}` }]);
  }
  if (!isObj(doc)) throw fail([{ message: 'is not a kubeconfig (expected a mapping with clusters, users, contexts)' }]);
  return doc;
}

/** The context to use and the cluster and user entries it names. */
function resolveContext(doc: Obj, wanted: string | undefined, fail: (causes: readonly Cause[]) => BerthError) {
  const causes: Cause[] = [];
  const contextName = wanted ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : '');
  if (contextName === '') throw fail([{ field: 'current-context', message: 'is missing and no context was given' }]);
  const context = named(doc.contexts, 'context', contextName, 'contexts', causes);
  if (context === undefined) throw fail(causes);
  const clusterName = typeof context.cluster === 'string' ? context.cluster : '';
  const userName = typeof context.user === 'string' ? context.user : '';
  const cluster = named(doc.clusters, 'cluster', clusterName, 'clusters', causes);
  const user = named(doc.users, 'user', userName, 'users', causes);
  if (cluster === undefined || user === undefined) throw fail(causes);
  return { contextName, clusterName, userName, cluster, user };
}

/** File references, plugins, impersonation and proxies: everything that would make the server act on the kubeconfig's behalf. */
function refuseUnsupported(cluster: Obj, user: Obj, cf: string, uf: string, causes: Cause[]): void {
  for (const [entry, prefix] of [[cluster, cf], [user, uf]] as const) {
    for (const [file, data] of Object.entries(fileFields)) {
      if (entry[file] !== undefined) {
        causes.push({ field: `${prefix}.${file}`, message: `names a file; inline it as ${data} (kubectl config view --raw --flatten)` });
      }
    }
  }
  for (const [field, message] of Object.entries(refusedUserFields)) {
    if (user[field] !== undefined) causes.push({ field: `${uf}.${field}`, message });
  }
  if (cluster['proxy-url'] !== undefined) causes.push({ field: `${cf}.proxy-url`, message: 'proxies are not supported' });
}

/** The cluster's server as `https://host:port[/path]`, or the causes why it cannot be used. */
function serverOf(cluster: Obj, cf: string, plainAllowed: boolean, causes: Cause[]): string {
  let server = typeof cluster.server === 'string' ? cluster.server.replace(/\/+$/, '') : '';
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    causes.push({ field: `${cf}.server`, message: server === '' ? 'is missing' : 'is not a URL' });
  }
  if (url !== undefined) {
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && plainAllowed)) {
      causes.push({ field: `${cf}.server`, message: 'must be an https:// URL' });
    }
    if (url.username !== '' || url.password !== '') causes.push({ field: `${cf}.server`, message: 'must not hold credentials' });
    if (url.search !== '' || url.hash !== '') causes.push({ field: `${cf}.server`, message: 'must not have a query or fragment' });
    server = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '')}`;
  }
  return server;
}

/** The user's credentials: a client certificate with its key, a token, or a username with its password. */
function userCredentials(user: Obj, uf: string, causes: Cause[]): Pick<ClusterCredentials, 'clientCertPem' | 'clientKeyPem' | 'token' | 'username' | 'password'> {
  const clientCertPem = pem(user['client-certificate-data'], `${uf}.client-certificate-data`, causes);
  const clientKeyPem = pem(user['client-key-data'], `${uf}.client-key-data`, causes);
  if ((clientCertPem === undefined) !== (clientKeyPem === undefined) && causes.length === 0) {
    causes.push({ field: uf, message: 'client-certificate-data and client-key-data go together' });
  }
  const token = optionalString(user.token, `${uf}.token`, causes);
  const username = optionalString(user.username, `${uf}.username`, causes);
  const password = optionalString(user.password, `${uf}.password`, causes);
  if ((username === undefined) !== (password === undefined)) causes.push({ field: uf, message: 'username and password go together' });
  if (token === undefined && clientCertPem === undefined && username === undefined && causes.length === 0) {
    causes.push({ field: uf, message: 'has no credentials: give token, client-certificate-data and client-key-data, or username and password' });
  }
  return {
    ...(clientCertPem === undefined ? {} : { clientCertPem, clientKeyPem }),
    ...(token === undefined ? {} : { token }),
    ...(username === undefined ? {} : { username, password }),
  };
}

function optionalString(v: unknown, field: string, causes: Cause[]): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v === '') {
    causes.push({ field, message: 'must be a non-empty string' });
    return undefined;
  }
  return v;
}

/**
 * A client-node `KubeConfig` with exactly these credentials (inline data only), for code that
 * wants client-node's typed APIs (benchmarks' peers, one-off tools). Berth's own requests go
 * through {@link ClusterClient}.
 */
export function toKubeConfig(creds: ClusterCredentials): KubeConfig {
  const kc = new KubeConfig();
  const b64 = (s: string | undefined): string | undefined => (s === undefined ? undefined : Buffer.from(s).toString('base64'));
  kc.loadFromOptions({
    clusters: [{
      name: creds.clusterName, server: creds.server, caData: b64(creds.caPem), skipTLSVerify: creds.insecureSkipTlsVerify,
      tlsServerName: creds.tlsServerName,
    }],
    users: [{
      name: creds.userName, certData: b64(creds.clientCertPem), keyData: b64(creds.clientKeyPem), token: creds.token,
      username: creds.username, password: creds.password,
    }],
    contexts: [{ name: creds.contextName, cluster: creds.clusterName, user: creds.userName }],
    currentContext: creds.contextName,
  });
  return kc;
}

/**
 * Reads a kubeconfig file on the caller's machine (the CLI's, never the server's on behalf of
 * a request) and returns it with every file it names inlined (`certificate-authority` →
 * `certificate-authority-data`, `client-certificate`, `client-key`, `token-file` → `token`),
 * paths relative to the file's folder, as `kubectl config view --raw --flatten` would. Other
 * fields are kept as they are, so {@link parseKubeconfig} still judges them. Throws the file
 * system's error when a file cannot be read.
 */
export async function inlineKubeconfigFile(path: string): Promise<string> {
  const doc: unknown = parseYaml(await readFile(path, 'utf8'), { maxAliasCount: 0 });
  if (!isObj(doc)) return stringifyYaml(doc);
  const base = dirname(path);
  const inline = async (entry: unknown): Promise<void> => {
    if (!isObj(entry)) return;
    for (const [file, data] of Object.entries(fileFields)) {
      const ref = entry[file];
      if (typeof ref !== 'string') continue;
      const content = await readFile(isAbsolute(ref) ? ref : join(base, ref));
      entry[data] = file === 'token-file' ? content.toString('utf8').trim() : content.toString('base64');
      delete entry[file];
    }
  };
  for (const c of Array.isArray(doc.clusters) ? doc.clusters : []) await inline((c as Obj | undefined)?.cluster);
  for (const u of Array.isArray(doc.users) ? doc.users : []) await inline((u as Obj | undefined)?.user);
  return stringifyYaml(doc);
}
