// Container images for test nodes, made without Docker: one layer from Debian's busybox-static
// (the binary and a link per applet), as OCI image layouts, pushed with crane to a Berth the
// test started. The same layer serves a general-purpose image and the pod sandbox ("pause") image;
// the responder image adds the test responder (build-node-tools.sh) to it.
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { nodeTool } from './node-tools.ts';

/** Where Debian's busybox-static installs the static binary. */
export const BUSYBOX = '/bin/busybox';

/** An image configuration's process: what runs when a container gives no command. */
export interface ImageProcess {
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
}

/**
 * The images every test node needs, by name: `busybox` (a shell), `pause` (the pod sandbox) and
 * `responder` (busybox plus `/bin/responder`, which by default answers HTTP on TCP 8080 and
 * datagrams on UDP 8080 with the pod's name; `responder probe tcp|udp HOST:PORT` is its client).
 */
export const NODE_IMAGES: Readonly<Record<'busybox' | 'pause' | 'responder', ImageProcess>> = {
  busybox: { cmd: ['/bin/sh'] },
  // A pod sandbox only holds the pod's namespaces open; containerd stops it with SIGKILL.
  pause: { entrypoint: ['/bin/sleep', '2147483647'] },
  responder: { entrypoint: ['/bin/responder'], cmd: ['serve'] },
};

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * The busybox layer as an uncompressed tar: `/bin/busybox`, a link in `/bin` for every applet,
 * empty `/tmp` and `/etc`, and each of `extraBins` (host paths) copied into `/bin` under its
 * name. Files are owned by root and dated at the epoch, sorted, so the same inputs always give
 * the same bytes. Throws when busybox-static is missing.
 */
export function busyboxLayer(extraBins: readonly string[] = []): Buffer {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static (the test nodes' images are made from it)`);
  const root = mkdtempSync(join(tmpdir(), 'berth-busybox-'));
  try {
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
    mkdirSync(join(root, 'etc'));
    copyFileSync(BUSYBOX, join(root, 'bin', 'busybox'));
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', join(root, 'bin', applet));
    for (const bin of extraBins) {
      copyFileSync(bin, join(root, 'bin', basename(bin)));
    }
    return execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', root, '-cf', '-', '.'],
      { maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The Go names of the machine's architecture as OCI writes them. */
function ociArchitecture(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

/**
 * Writes an OCI image layout at `dir` holding one image: `layerTar` gzipped, a config with
 * `proc` and `PATH=/bin`, a manifest, and index.json naming it `tag`. Returns the manifest digest.
 */
export function writeImageLayout(dir: string, layerTar: Buffer, proc: ImageProcess, tag: string): string {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const add = (mediaType: string, bytes: Buffer): { mediaType: string; digest: string; size: number } => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.length };
  };
  const layer = add('application/vnd.oci.image.layer.v1.tar+gzip', gzipSync(layerTar));
  const config = add('application/vnd.oci.image.config.v1+json', Buffer.from(JSON.stringify({
    architecture: ociArchitecture(), os: 'linux',
    config: {
      Env: ['PATH=/bin'],
      ...(proc.entrypoint === undefined ? {} : { Entrypoint: proc.entrypoint }),
      ...(proc.cmd === undefined ? {} : { Cmd: proc.cmd }),
    },
    rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
  })));
  const manifest = add('application/vnd.oci.image.manifest.v1+json', Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [layer],
  })));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }],
  }));
  return manifest.digest;
}

/** Where to push: a registry on loopback and an account that may push to `project`. */
export interface PushTarget {
  /** `host:port` of the registry (plain HTTP). */
  readonly registry: string;
  readonly project: string;
  readonly username: string;
  readonly password: string;
  /** Path of the crane binary. */
  readonly crane: string;
}

/**
 * Builds {@link NODE_IMAGES} and pushes each to `<registry>/<project>/<name>:1` with crane
 * (plain HTTP, the account's credentials in a throwaway Docker config). Returns the pushed
 * references by name, e.g. `{ pause: '127.0.0.1:5000/nodes/pause:1', ... }`. Rejects with
 * crane's output when a push fails. Asynchronous, so that a Berth in this same process serves the push.
 */
export async function pushNodeImages(target: PushTarget): Promise<Readonly<Record<keyof typeof NODE_IMAGES, string>>> {
  const work = mkdtempSync(join(tmpdir(), 'berth-node-images-'));
  try {
    const layer = busyboxLayer();
    const responderLayer = busyboxLayer([nodeTool('responder')]);
    const auth = Buffer.from(`${target.username}:${target.password}`).toString('base64');
    writeFileSync(join(work, 'config.json'), JSON.stringify({ auths: { [target.registry]: { auth } } }));
    const refs = {} as Record<keyof typeof NODE_IMAGES, string>;
    for (const [name, proc] of Object.entries(NODE_IMAGES) as [keyof typeof NODE_IMAGES, ImageProcess][]) {
      const layout = join(work, name);
      writeImageLayout(layout, name === 'responder' ? responderLayer : layer, proc, '1');
      const ref = `${target.registry}/${target.project}/${name}:1`;
      await new Promise<void>((resolve, reject) => {
        execFile(target.crane, ['push', '--insecure', layout, ref], { env: { ...process.env, DOCKER_CONFIG: work }, timeout: 60_000 }, (err, _stdout, stderr) => {
          if (err === null) resolve();
          else reject(new Error(`crane push ${ref} failed: ${stderr || String(err)}`));
        });
      });
      refs[name] = ref;
    }
    return refs;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
