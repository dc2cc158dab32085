// Persistence of Berth's certificate authorities. A CA lives in the database, not under the data
// directory, because every replica must serve certificates from the same CA: member clusters hold
// one caBundle for the one webhook URL, whichever replica answers. Its private key is sealed with
// AES-256-GCM under a key derived from the server's secret key (HKDF-SHA256, its own info string),
// so a database dump alone does not give it away. Serving certificates are never stored: each
// replica issues its own at start and on rotation, and its key stays in memory.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';

/** Row type of `tls_authorities` (created by the platform migration `0003-platform-tls`). */
export interface TlsAuthoritiesTable {
  readonly name: string;
  readonly cert_pem: string;
  /** base64 of IV (12 bytes) ‖ GCM tag (16 bytes) ‖ the sealed PKCS #8 PEM. */
  readonly key_sealed: string;
  readonly created_at: string;
}

/** The tables of this module, for `kysely.withTables<TlsTables>()`. */
export interface TlsTables {
  readonly tls_authorities: TlsAuthoritiesTable;
}

/** A stored CA: its certificate and private key, PEM. */
export interface StoredAuthority {
  readonly certPem: string;
  readonly keyPem: string;
}

function sealingKey(secretKey: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'berth tls authority key', 32));
}

function seal(secretKey: Uint8Array, name: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(secretKey), iv);
  cipher.setAAD(Buffer.from(name));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
}

function unseal(secretKey: Uint8Array, name: string, sealed: string): string {
  const raw = Buffer.from(sealed, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(secretKey), raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(name));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error(`the private key of TLS authority "${name}" cannot be unsealed: the server's secret key is not the one it was stored with`);
  }
}

/**
 * Returns the CA named `name`, storing `create()`'s result first when there is none. Safe when
 * replicas start together: the first insert wins and everyone reads the winner back.
 * @throws Error when the stored key cannot be unsealed with `secretKey`.
 */
export async function loadOrCreateAuthority(
  kysely: Kysely<unknown>, secretKey: Uint8Array, name: string, now: Date, create: () => Promise<StoredAuthority>,
): Promise<StoredAuthority> {
  const db = kysely as unknown as Kysely<TlsTables>;
  const read = () => db.selectFrom('tls_authorities').select(['cert_pem', 'key_sealed']).where('name', '=', name).executeTakeFirst();
  let row = await read();
  if (row === undefined) {
    const made = await create();
    await db.insertInto('tls_authorities')
      .values({ name, cert_pem: made.certPem, key_sealed: seal(secretKey, name, made.keyPem), created_at: now.toISOString() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    row = await read();
    if (row === undefined) throw new Error(`TLS authority "${name}" vanished right after it was stored`);
  }
  return { certPem: row.cert_pem, keyPem: unseal(secretKey, name, row.key_sealed) };
}
