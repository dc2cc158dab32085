// The credentials of registered clusters and the clients built from them. A kubeconfig is
// sealed with AES-256-GCM under a key derived from the server's secret key before it is stored,
// and opened only here, to build a ClusterClient; the cluster's name is bound into the seal, so a
// sealed value copied onto another cluster's row does not open. Plain credentials never leave
// this file except inside a client.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ClusterClient, type ClusterClientOptions } from '../kube/index.ts';
import type { Database } from '../platform/db/database.ts';
import { BerthError, notFound } from '../platform/errors.ts';
import { clusterCredentials, removalCredentials } from './store.ts';

const sealVersion = 1;
const ivBytes = 12;
const tagBytes = 16;

/** The key that seals cluster credentials, derived from the server's secret key (HKDF-SHA256, info `berth cluster credentials`). */
export function credentialsKey(secretKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, new Uint8Array(0), 'berth cluster credentials', 32));
}

/**
 * Seals `plaintext` (a kubeconfig) for cluster `cluster`: base64 of a version byte, a random
 * 96-bit IV, the GCM tag and the ciphertext. The cluster's name is authenticated data.
 */
export function sealCredentials(key: Buffer, cluster: string, plaintext: string): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(cluster));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(sealVersion), iv, cipher.getAuthTag(), body]).toString('base64');
}

/**
 * Opens what {@link sealCredentials} sealed for `cluster`. Throws InternalError (naming the
 * cluster, never the content) when it was sealed under another key or for another cluster, or
 * was altered.
 */
export function openCredentials(key: Buffer, cluster: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64');
  try {
    if (raw.length < 1 + ivBytes + tagBytes || raw[0] !== sealVersion) throw new Error('unknown format');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + ivBytes));
    decipher.setAAD(Buffer.from(cluster));
    decipher.setAuthTag(raw.subarray(1 + ivBytes, 1 + ivBytes + tagBytes));
    return Buffer.concat([decipher.update(raw.subarray(1 + ivBytes + tagBytes)), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new BerthError('InternalError', `the stored credentials of cluster "${cluster}" cannot be opened: were they sealed with another server key (BERTH_SECRET_KEY)? Register the cluster's kubeconfig again`, { cause: err });
  }
}

/** Options of {@link ClusterConnections}. */
export interface ConnectionsOptions {
  readonly db: Database;
  readonly secretKey: Uint8Array;
  /** Client settings other than name and kubeconfig (rate limit, timeouts) for every cluster. */
  readonly client?: Omit<ClusterClientOptions, 'name' | 'kubeconfig'>;
}

interface Entry {
  readonly sealed: string;
  readonly client: ClusterClient;
}

/**
 * One ClusterClient per registered cluster, built from its stored credentials on first use and
 * rebuilt when they change (the old client is closed, ending its watches). One instance per
 * server.
 */
export class ClusterConnections {
  readonly #db: Database;
  readonly #key: Buffer;
  readonly #client: Omit<ClusterClientOptions, 'name' | 'kubeconfig'>;
  readonly #clients = new Map<string, Entry>();

  constructor(o: ConnectionsOptions) {
    this.#db = o.db;
    this.#key = credentialsKey(o.secretKey);
    this.#client = o.client ?? {};
  }

  /** Seals a kubeconfig for storing as cluster `cluster`'s credentials. */
  seal(cluster: string, kubeconfig: string): string {
    return sealCredentials(this.#key, cluster, kubeconfig);
  }

  /**
   * A client for a kubeconfig that is not stored (a registration being probed); the caller
   * closes it. Throws Invalid for a kubeconfig Berth will not use.
   */
  transient(cluster: string, kubeconfig: string, options: Partial<Omit<ClusterClientOptions, 'name' | 'kubeconfig'>> = {}): ClusterClient {
    return new ClusterClient({ ...this.#client, ...options, name: cluster, kubeconfig });
  }

  /**
   * The client of registered cluster `cluster`, the same one while its credentials stay the same
   * (one query per call to notice a change made on another replica). Throws NotFound for a
   * cluster that is not registered, InternalError for credentials that do not open.
   */
  async clientFor(cluster: string): Promise<ClusterClient> {
    const sealed = await clusterCredentials(this.#db.kysely, cluster);
    if (sealed === undefined) {
      this.forget(cluster);
      throw notFound('Cluster', cluster);
    }
    const hit = this.#clients.get(cluster);
    if (hit !== undefined && hit.sealed === sealed) return hit.client;
    hit?.client.close();
    const client = new ClusterClient({ ...this.#client, name: cluster, kubeconfig: openCredentials(this.#key, cluster, sealed) });
    this.#clients.set(cluster, { sealed, client });
    return client;
  }

  /**
   * A client of registered cluster `cluster` of the caller's own: unlike {@link clientFor}'s, a
   * credentials change or the cluster's removal does not close it, so work that outlives the
   * cluster's row can finish; the caller closes it. Throws NotFound, InternalError as clientFor.
   */
  async ownClient(cluster: string): Promise<ClusterClient> {
    const sealed = await clusterCredentials(this.#db.kysely, cluster);
    if (sealed === undefined) throw notFound('Cluster', cluster);
    return this.transient(cluster, openCredentials(this.#key, cluster, sealed));
  }

  /**
   * A client of cluster `cluster`, removed with force, from the credentials its removal kept for
   * the last sweep; the caller closes it. Undefined once that sweep is done; throws InternalError
   * for credentials that do not open.
   */
  async removedClient(cluster: string): Promise<ClusterClient | undefined> {
    const sealed = await removalCredentials(this.#db.kysely, cluster);
    return sealed === undefined ? undefined : this.transient(cluster, openCredentials(this.#key, cluster, sealed));
  }

  /** Closes and drops the client of `cluster` (it was removed or its credentials replaced). Idempotent. */
  forget(cluster: string): void {
    this.#clients.get(cluster)?.client.close();
    this.#clients.delete(cluster);
  }

  /** Closes every client. Idempotent. */
  close(): void {
    for (const name of [...this.#clients.keys()]) this.forget(name);
  }
}
