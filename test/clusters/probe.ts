// Real TCP connections from inside a pod: an HTTP responder to run in pods (busybox httpd on a
// few ports), and a probe that asks many addresses at once from one pod with one `kubectl exec`,
// each connection bounded by busybox nc's connect timeout.
import type { Cluster } from './cluster.ts';
import { execInPod } from './fixtures.ts';

/** What the responder answers; a probe counts a connection only when this comes back. */
export const RESPONDER_BODY = 'berth-ok';

/**
 * The command of a container (busybox image) that answers HTTP with {@link RESPONDER_BODY} on
 * each of `ports` (busybox httpd, one daemon per port) and then stays up.
 */
export function responderCommand(ports: readonly number[]): string[] {
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new Error(`bad ports ${ports.join(',')}`);
  return ['sh', '-c', `mkdir -p /www && echo ${RESPONDER_BODY} > /www/index.html && ${ports.map((p) => `httpd -p ${p} -h /www`).join(' && ')} && exec sleep 2147483647`];
}

/** An address to connect to: IPv4 and TCP port. */
export interface ProbeTarget {
  readonly ip: string;
  readonly port: number;
}

/**
 * Connects from pod `namespace/pod` to every target at once (one `kubectl exec` running one
 * busybox `nc` per target in the background), sends an HTTP GET, and reports for each target
 * whether the responder's body came back, keyed `ip:port`. Each connection gives up after
 * `connectTimeoutS` seconds (busybox nc `-w`); the exec is bounded by `execTimeoutMs`. Targets
 * that did not answer are asked again up to `retries` times (default 1, with twice the
 * timeout): on a loaded machine a connection that policy allows may still miss a 1 s timeout,
 * while one that policy refuses never succeeds, however often it is tried. Throws when the
 * exec itself fails or a target is missing from its output (so a broken probe never reads as
 * "refused").
 */
export async function probeFrom(
  cluster: Cluster, namespace: string, pod: string, targets: readonly ProbeTarget[],
  options: { readonly connectTimeoutS?: number; readonly execTimeoutMs?: number; readonly retries?: number } = {},
): Promise<ReadonlyMap<string, boolean>> {
  const wait = options.connectTimeoutS ?? 1;
  const seen = new Map(await probeOnce(cluster, namespace, pod, targets, wait, options.execTimeoutMs));
  for (let retry = 0; retry < (options.retries ?? 1); retry++) {
    const again = targets.filter((t) => seen.get(`${t.ip}:${t.port}`) === false);
    if (again.length === 0) break;
    for (const [k, v] of await probeOnce(cluster, namespace, pod, again, wait * 2, options.execTimeoutMs)) seen.set(k, v);
  }
  return seen;
}

async function probeOnce(
  cluster: Cluster, namespace: string, pod: string, targets: readonly ProbeTarget[], wait: number, execTimeoutMs: number | undefined,
): Promise<ReadonlyMap<string, boolean>> {
  const keys = targets.map((t) => {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(t.ip) || !Number.isInteger(t.port)) throw new Error(`bad probe target ${JSON.stringify(t)}`);
    return `${t.ip}:${t.port}`;
  });
  const script = `for t in ${keys.join(' ')}; do (`
    + `if printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w ${wait} \${t%:*} \${t#*:} 2>/dev/null | grep -q ${RESPONDER_BODY}; then echo "$t ok"; else echo "$t no"; fi`
    + ') & done; wait';
  const result = await execInPod(cluster, namespace, pod, ['sh', '-c', script], { timeoutMs: execTimeoutMs ?? (wait * 1000) + 20_000 });
  if (result.code !== 0) throw new Error(`probe from ${namespace}/${pod} failed (exit ${result.code}): ${result.stderr.trim()}`);
  const seen = new Map<string, boolean>();
  for (const line of result.stdout.split('\n')) {
    const m = /^(\S+) (ok|no)$/.exec(line.trim());
    if (m !== null) seen.set(m[1], m[2] === 'ok');
  }
  const lost = keys.filter((k) => !seen.has(k));
  if (lost.length > 0) throw new Error(`probe from ${namespace}/${pod} printed nothing for ${lost.join(', ')}: ${result.stdout}${result.stderr}`);
  return seen;
}
