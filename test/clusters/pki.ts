// Certificates for one test cluster, made with the openssl CLI (Node can sign nothing itself).
// P-256 keys keep generation in the milliseconds, which matters for a start under 15 s.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Paths of the PEM files of one cluster's public key infrastructure. */
export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly apiserverCert: string;
  readonly apiserverKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly controllerManagerCert: string;
  readonly controllerManagerKey: string;
  readonly schedulerCert: string;
  readonly schedulerKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

/** What the API server's serving certificate must name. */
export interface PkiOptions {
  /** The first address of the service range: the `kubernetes` Service's ClusterIP. */
  readonly kubernetesServiceIp: string;
}

interface Leaf {
  readonly name: string;
  readonly subject: string;
  readonly extendedKeyUsage: string;
  readonly subjectAltName?: string;
}

/**
 * Writes a fresh CA, the API server's serving certificate, client certificates for the admin
 * (group `system:masters`), kube-controller-manager and kube-scheduler (their bootstrap RBAC
 * identities), and a service-account signing key pair into `dir`.
 * Throws when openssl is missing or fails; the error carries openssl's stderr.
 */
export async function writeClusterPki(dir: string, options: PkiOptions): Promise<ClusterPki> {
  // An empty config keeps openssl's default v3_ca extensions off the leaf certificates.
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, '[req]\ndistinguished_name=dn\n[dn]\n');
  const path = (name: string, ext: string): string => join(dir, `${name}.${ext}`);
  const base = baseArgs(config);
  await openssl([...base, '-keyout', path('ca', 'key'), '-out', path('ca', 'crt'), '-subj', '/CN=berth-test-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);

  const leaves: readonly Leaf[] = [
    {
      name: 'apiserver', subject: '/CN=kube-apiserver', extendedKeyUsage: 'serverAuth',
      subjectAltName: ['IP:127.0.0.1', 'IP:::1', `IP:${options.kubernetesServiceIp}`, 'DNS:localhost', 'DNS:kubernetes',
        'DNS:kubernetes.default', 'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local'].join(','),
    },
    { name: 'admin', subject: '/O=system:masters/CN=berth-admin', extendedKeyUsage: 'clientAuth' },
    { name: 'controller-manager', subject: '/CN=system:kube-controller-manager', extendedKeyUsage: 'clientAuth' },
    { name: 'scheduler', subject: '/CN=system:kube-scheduler', extendedKeyUsage: 'clientAuth' },
  ];
  await Promise.all(leaves.map((leaf) => signLeaf(config, path('ca', 'crt'), path('ca', 'key'), dir, leaf)));

  const serviceAccount = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  await writeFile(path('sa', 'key'), serviceAccount.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(path('sa', 'pub'), serviceAccount.publicKey.export({ type: 'spki', format: 'pem' }));

  return {
    caCert: path('ca', 'crt'), caKey: path('ca', 'key'),
    apiserverCert: path('apiserver', 'crt'), apiserverKey: path('apiserver', 'key'),
    adminCert: path('admin', 'crt'), adminKey: path('admin', 'key'),
    controllerManagerCert: path('controller-manager', 'crt'), controllerManagerKey: path('controller-manager', 'key'),
    schedulerCert: path('scheduler', 'crt'), schedulerKey: path('scheduler', 'key'),
    serviceAccountKey: path('sa', 'key'), serviceAccountPub: path('sa', 'pub'),
  };
}

function baseArgs(config: string): string[] {
  return ['req', '-config', config, '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650'];
}

function signLeaf(config: string, caCert: string, caKey: string, dir: string, leaf: Leaf): Promise<void> {
  return openssl([...baseArgs(config), '-keyout', join(dir, `${leaf.name}.key`), '-out', join(dir, `${leaf.name}.crt`),
    '-subj', leaf.subject, '-CA', caCert, '-CAkey', caKey,
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment',
    '-addext', `extendedKeyUsage=${leaf.extendedKeyUsage}`,
    ...(leaf.subjectAltName === undefined ? [] : ['-addext', `subjectAltName=${leaf.subjectAltName}`])]);
}

/**
 * Signs a client certificate with the cluster's CA into `dir` as `<name>.crt` / `<name>.key`
 * (for instance a kubelet's `/O=system:nodes/CN=system:node:<node>`). Returns both paths.
 * Throws like {@link writeClusterPki}.
 */
export async function writeClientCertificate(
  pki: ClusterPki, dir: string, name: string, subject: string,
): Promise<{ readonly cert: string; readonly key: string }> {
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, '[req]\ndistinguished_name=dn\n[dn]\n');
  await signLeaf(config, pki.caCert, pki.caKey, dir, { name, subject, extendedKeyUsage: 'clientAuth' });
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed: the test clusters need it to make their certificates');
    throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${e.stderr ?? String(err)}`);
  }
}

/**
 * A kubeconfig (JSON) for a process on a test node: kube-apiserver at `server` (the node's relay
 * on the host end of its link), the cluster's CA, and the client certificate and key at the
 * given paths. Pure: writes nothing.
 */
export function nodeKubeconfig(server: string, caCert: string, cert: string, key: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'node',
    // The relay's address is not in the API server's certificate; the name it was issued for is.
    clusters: [{ name: 'berth-test', cluster: { server, 'certificate-authority': caCert, 'tls-server-name': 'localhost' } }],
    users: [{ name: 'node', user: { 'client-certificate': cert, 'client-key': key } }],
    contexts: [{ name: 'node', context: { cluster: 'berth-test', user: 'node' } }],
  }, null, 2);
}
