// The server's secret key: from BERTH_SECRET_KEY, or a key file created once under the data
// directory. Replicas that share a database must share the key (set BERTH_SECRET_KEY).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from './errors.ts';

/** Returns the 32-byte key; creates `<dataDir>/secret.key` (mode 0600) when there is none. */
export function loadSecretKey(configured: string | undefined, dataDir: string): Uint8Array {
  if (configured) {
    const key = /^[0-9a-f]{64}$/i.test(configured) ? Buffer.from(configured, 'hex') : Buffer.from(configured, 'base64');
    if (key.length !== 32) throw new BerthError('Invalid', 'BERTH_SECRET_KEY must be 32 bytes, as 64 hex digits or base64');
    return key;
  }
  const file = join(dataDir, 'secret.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    throw err;
  }
}
