// The one way the console talks to the server: bearer token in, Kubernetes Status errors out.
import { fileNameFromDisposition, toApiError, toQuery } from './http.ts';
import type {
  Artifact, AuditFilter, AuditList, AuditVerifyResult, Cluster, ClusterCreate, ClusterImportResult, CreatedRobot, CreatedToken, GcRun, ImmutabilityRule, Items,
  LoginResponse, Member, Namespace, NodePortMap, Page, Policy, QuotaMap, ProjectCreate, ProjectView, Repository, RetentionCreate, RetentionPolicy,
  RetentionResult, Robot, RobotCreate, Tenant, TenantCreate, TenantPatch, TenantUsage, TokenList, User, UserCreate, UserList, UserPatch, WhoAmI,
} from './model.ts';

const registry = '/api/v1/registry';
const seg = encodeURIComponent;

/** What the client needs from its host page. */
export interface ApiClientOptions {
  /** The current bearer token, or null when logged out. */
  readonly getToken: () => string | null;
  /** Called when an authenticated call answers 401: the session is over. */
  readonly onUnauthorized: () => void;
  /** Base URL of the server; '' means the page's own origin. */
  readonly baseUrl?: string;
  readonly fetch?: typeof fetch;
}

/** A downloaded file: its contents and the name the server suggested. */
export interface Download {
  readonly blob: Blob;
  readonly fileName: string;
}

/**
 * Typed client of /api/v1. Every method rejects with ApiError when the server refuses; a 401 on
 * any call but login also triggers `onUnauthorized` before rejecting.
 */
export class ApiClient {
  readonly #options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.#options = options;
  }

  async #send(method: string, path: string, body?: unknown, authenticated = true): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = this.#options.getToken();
    if (authenticated && token) headers.Authorization = `Bearer ${token}`;
    const doFetch = this.#options.fetch ?? globalThis.fetch.bind(globalThis);
    const res = await doFetch(`${this.#options.baseUrl ?? ''}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.ok) return res;
    const error = toApiError(res.status, res.statusText, await res.text(), res.headers.get('Retry-After'));
    if (authenticated && res.status === 401) this.#options.onUnauthorized();
    throw error;
  }

  async #json<T>(method: string, path: string, body?: unknown, authenticated = true): Promise<T> {
    const res = await this.#send(method, path, body, authenticated);
    const text = await res.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** Exchanges a username and password for a session token; 401 and 429 reject with ApiError. */
  login(username: string, password: string): Promise<LoginResponse> {
    return this.#json('POST', '/api/v1/login', { username, password }, false);
  }

  /** Who the token belongs to and what it may do. */
  whoami(): Promise<WhoAmI> {
    return this.#json('GET', '/api/v1/whoami');
  }

  /** One page of users; pass the previous page's `metadata.continue` to get the next. */
  listUsers(limit: number, cont?: string): Promise<UserList> {
    return this.#json('GET', `/api/v1/users${toQuery({ limit, continue: cont })}`);
  }

  /** Creates a user; a taken name rejects with a 409 ApiError, an invalid one with 422. */
  createUser(user: UserCreate): Promise<User> {
    return this.#json('POST', '/api/v1/users', user);
  }

  /** Partial update; rejects with a 409 ApiError when `resourceVersion` is stale. */
  patchUser(name: string, patch: UserPatch): Promise<User> {
    return this.#json('PATCH', `/api/v1/users/${encodeURIComponent(name)}`, patch);
  }

  /** Deletes a user; rejects with a 404 ApiError when there is none. */
  async deleteUser(name: string): Promise<void> {
    await this.#send('DELETE', `/api/v1/users/${encodeURIComponent(name)}`);
  }

  /** The caller's own tokens. */
  listTokens(): Promise<TokenList> {
    return this.#json('GET', '/api/v1/tokens');
  }

  /** Creates a token; the answer holds the secret, which the server never shows again. */
  createToken(name: string, expiresInDays?: number): Promise<CreatedToken> {
    return this.#json('POST', '/api/v1/tokens', expiresInDays === undefined ? { name } : { name, expiresInDays });
  }

  /** Revokes one of the caller's tokens; it stops authenticating at once. */
  async revokeToken(id: string): Promise<void> {
    await this.#send('DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`);
  }

  /** One page of audit records, newest first. */
  listAudit(filter: AuditFilter, limit: number, cont?: string): Promise<AuditList> {
    return this.#json('GET', `/api/v1/audit${toQuery({ ...filter, limit, continue: cont })}`);
  }

  /**
   * The whole filtered audit log as a file (JSON Lines or CSV), named as the server's
   * Content-Disposition says, else `fallbackName`.
   */
  async exportAudit(filter: AuditFilter, format: 'jsonl' | 'csv', fallbackName: string): Promise<Download> {
    const res = await this.#send('GET', `/api/v1/audit/export${toQuery({ format, ...filter })}`);
    const blob = await res.blob();
    return { blob, fileName: fileNameFromDisposition(res.headers.get('Content-Disposition'), fallbackName) };
  }

  /** Walks the hash chain on the server and reports the first broken link, if any. */
  verifyAudit(): Promise<AuditVerifyResult> {
    return this.#json('GET', '/api/v1/audit/verify');
  }

  /** The registry projects the caller may see, in name order, each with its usage. */
  listProjects(): Promise<Items<ProjectView>> {
    return this.#json('GET', `${registry}/projects`);
  }

  /** One project with its usage; a project the caller may not see rejects with 404. */
  getProject(name: string): Promise<ProjectView> {
    return this.#json('GET', `${registry}/projects/${seg(name)}`);
  }

  /** Creates a project; a taken name rejects with 409, a refused tenant with 403, a bad name with 422. */
  createProject(project: ProjectCreate): Promise<ProjectView> {
    return this.#json('POST', `${registry}/projects`, project);
  }

  /** Deletes an empty project; one that still holds repositories rejects with 409. */
  async deleteProject(name: string): Promise<void> {
    await this.#send('DELETE', `${registry}/projects/${seg(name)}`);
  }

  /** The project's members and repository grants. */
  listMembers(project: string): Promise<Items<Member>> {
    return this.#json('GET', `${registry}/projects/${seg(project)}/members`);
  }

  /** Grants `role` to `user` on the project, or on repositories matching `repositories`; replaces an existing grant. */
  setMember(project: string, user: string, role: string, repositories: string): Promise<Member> {
    const body = repositories === '' ? { role } : { role, repositories };
    return this.#json('PUT', `${registry}/projects/${seg(project)}/members/${seg(user)}`, body);
  }

  /** Removes one grant of `user` (the whole-project one when `repositories` is ''). */
  async removeMember(project: string, user: string, repositories: string): Promise<void> {
    await this.#send('DELETE', `${registry}/projects/${seg(project)}/members/${seg(user)}${toQuery({ repositories })}`);
  }

  /** The project's robot accounts (never their secrets). */
  listRobots(project: string): Promise<Items<Robot>> {
    return this.#json('GET', `${registry}/projects/${seg(project)}/robots`);
  }

  /** Creates a robot account; the answer holds the secret, which the server never shows again. */
  createRobot(project: string, robot: RobotCreate): Promise<CreatedRobot> {
    return this.#json('POST', `${registry}/projects/${seg(project)}/robots`, robot);
  }

  /** Deletes a robot account: its credentials stop working at once. */
  async deleteRobot(project: string, name: string): Promise<void> {
    await this.#send('DELETE', `${registry}/projects/${seg(project)}/robots/${seg(name)}`);
  }

  /** The project's repositories with their artifact and pull counts. */
  listRepositories(project: string): Promise<Items<Repository>> {
    return this.#json('GET', `${registry}/projects/${seg(project)}/repositories`);
  }

  /** The artifacts of a repository (full name, `project/path`), newest first. */
  listArtifacts(repository: string): Promise<Items<Artifact>> {
    return this.#json('GET', `${registry}/artifacts${toQuery({ repository })}`);
  }

  /** The project's immutability rules and retention policies. */
  listPolicies(project: string): Promise<Items<Policy>> {
    return this.#json('GET', `${registry}/projects/${seg(project)}/policies`);
  }

  /** Adds an immutability rule (the server defaults repositories to '**' and tags to '*'). */
  createImmutabilityRule(project: string, rule: { readonly repositories?: string; readonly tags?: string }): Promise<ImmutabilityRule> {
    return this.#json('POST', `${registry}/projects/${seg(project)}/immutability`, rule);
  }

  /** Adds a retention policy; one that keeps nothing in particular rejects with 422. */
  createRetentionPolicy(project: string, policy: RetentionCreate): Promise<RetentionPolicy> {
    return this.#json('POST', `${registry}/projects/${seg(project)}/retention`, policy);
  }

  /** Removes a policy by id. */
  async deletePolicy(project: string, id: string): Promise<void> {
    await this.#send('DELETE', `${registry}/projects/${seg(project)}/policies/${seg(id)}`);
  }

  /** Runs the project's retention now; a dry run only lists what would go. */
  runRetention(project: string, dryRun: boolean): Promise<RetentionResult> {
    return this.#json('POST', `${registry}/projects/${seg(project)}/retention/run`, { dryRun });
  }

  /** Recorded garbage collection runs, newest first (platform admins). */
  listGcRuns(): Promise<Items<GcRun>> {
    return this.#json('GET', `${registry}/gc`);
  }

  /** Runs garbage collection and answers when it is done; a dry run changes nothing. */
  runGc(dryRun: boolean): Promise<GcRun> {
    return this.#json('POST', `${registry}/gc`, { dryRun });
  }

  /** Every item of a tenancy list, following `continue` page by page (at most `max` items). */
  async #all<T>(path: string, max: number): Promise<readonly T[]> {
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const page = await this.#json<Page<T>>('GET', `${path}${toQuery({ limit: Math.min(500, max - items.length), continue: cont })}`);
      items.push(...page.items);
      cont = page.continue;
    } while (cont && items.length < max);
    return items;
  }

  /** The registered clusters (platform admins), in name order, with their status. */
  listClusters(max = 1000): Promise<readonly Cluster[]> {
    return this.#all('/api/v1/clusters', max);
  }

  /** One cluster with its conditions, version, nodes and capacity. */
  getCluster(name: string): Promise<Cluster> {
    return this.#json('GET', `/api/v1/clusters/${seg(name)}`);
  }

  /** A cluster's NodePort map: reserved, allocated and used ports, and the range as a strip (needs `nodeports:list`). */
  getNodePorts(cluster: string): Promise<NodePortMap> {
    return this.#json('GET', `/api/v1/clusters/${seg(cluster)}/nodeports`);
  }

  /**
   * Reserves, all or nothing, every node port that a Service outside the tenant namespaces of
   * `cluster` uses, each for its Service (platform admins); with `dryRun` only answers what it
   * would reserve. A port held by a tenant or another owner rejects with 409, a cluster that does not answer with 503.
   */
  importNodePortsFromCluster(cluster: string, dryRun: boolean): Promise<ClusterImportResult> {
    return this.#json('POST', `/api/v1/clusters/${seg(cluster)}/nodeports/reservations/import`, { from: 'cluster', ...(dryRun ? { dryRun } : {}) });
  }

  /** Registers a cluster; Berth probes the kubeconfig first, so an unreachable or refused one rejects with the server's words. */
  createCluster(cluster: ClusterCreate): Promise<Cluster> {
    return this.#json('POST', '/api/v1/clusters', cluster);
  }

  /** Removes a cluster; refused (409) while tenants have namespaces there unless `force`. */
  async deleteCluster(name: string, force: boolean): Promise<void> {
    await this.#send('DELETE', `/api/v1/clusters/${seg(name)}${force ? '?force=true' : ''}`);
  }

  /** The tenants the caller may see: all for platform roles, else those it holds a role in. */
  listTenants(max = 1000): Promise<readonly Tenant[]> {
    return this.#all('/api/v1/tenants', max);
  }

  /** One tenant. */
  getTenant(name: string): Promise<Tenant> {
    return this.#json('GET', `/api/v1/tenants/${seg(name)}`);
  }

  /**
   * Creates a tenant (platform admins); a taken name rejects with 409, a field the server's rules
   * refuse with 422 and one cause per field.
   */
  createTenant(tenant: TenantCreate): Promise<Tenant> {
    return this.#json('POST', '/api/v1/tenants', tenant);
  }

  /**
   * Changes a tenant; a quota below what its namespaces hold rejects with 422 naming resource,
   * sum and new limit, a stale `resourceVersion` with 409.
   */
  updateTenant(name: string, patch: TenantPatch): Promise<Tenant> {
    return this.#json('PATCH', `/api/v1/tenants/${seg(name)}`, patch);
  }

  /** Deletes a tenant; refused (409, naming them) while it has namespaces. */
  async deleteTenant(name: string): Promise<void> {
    await this.#send('DELETE', `/api/v1/tenants/${seg(name)}`);
  }

  /** The tenant's quota against what its namespaces were given and use. */
  tenantUsage(name: string): Promise<TenantUsage> {
    return this.#json('GET', `/api/v1/tenants/${seg(name)}/usage`);
  }

  /** The tenant's namespaces on all its clusters, each with usage and object states. */
  listNamespaces(tenant: string, max = 1000): Promise<readonly Namespace[]> {
    return this.#all(`/api/v1/tenants/${seg(tenant)}/namespaces`, max);
  }

  /**
   * Creates a namespace of the tenant on one of its clusters with its quota slice; slices beyond
   * the tenant quota reject with 422 naming resource, sum and limit; an existing namespace that is
   * not Berth's rejects with 409 unless `adopt`.
   */
  createNamespace(tenant: string, ns: { readonly name: string; readonly cluster: string; readonly quota?: QuotaMap; readonly adopt?: boolean }): Promise<Namespace> {
    return this.#json('POST', `/api/v1/tenants/${seg(tenant)}/namespaces`, ns);
  }

  /** Deletes a namespace; refused (409) while pods run in it, unless `force`. */
  async deleteNamespace(tenant: string, cluster: string, name: string, force: boolean): Promise<void> {
    await this.#send('DELETE', `/api/v1/tenants/${seg(tenant)}/namespaces/${seg(cluster)}/${seg(name)}${force ? '?force=true' : ''}`);
  }

  /** One namespace of a tenant on one cluster. */
  getNamespace(tenant: string, cluster: string, name: string): Promise<Namespace> {
    return this.#json('GET', `/api/v1/tenants/${seg(tenant)}/namespaces/${seg(cluster)}/${seg(name)}`);
  }
}
