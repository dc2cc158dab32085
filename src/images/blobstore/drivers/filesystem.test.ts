import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blobStoreConformance } from '../conformance.ts';
import { FilesystemBlobStore } from './filesystem.ts';

blobStoreConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-blobs-'));
  return {
    store: new FilesystemBlobStore(root),
    reopen: () => new FilesystemBlobStore(root),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
});
