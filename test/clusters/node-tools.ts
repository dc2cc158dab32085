// Where the nodes' own tools are: CoreDNS and the test responder, which build-node-tools.sh
// builds once per machine from the Go module proxy.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The folder holding CoreDNS and the responder: `BERTH_NODE_TOOLS_BIN`, else
 * `${BERTH_CACHE_DIR:-~/.cache/berth}/node-tools/bin` as `test/clusters/build-node-tools.sh` makes it.
 */
export function nodeToolsBinDir(): string {
  return process.env.BERTH_NODE_TOOLS_BIN ?? join(process.env.BERTH_CACHE_DIR ?? join(homedir(), '.cache', 'berth'), 'node-tools', 'bin');
}

/** Path of the tool `name` (`coredns` or `responder`); throws naming the command that builds it when it is missing. */
export function nodeTool(name: 'coredns' | 'responder'): string {
  const bin = join(nodeToolsBinDir(), name);
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run test/clusters/build-node-tools.sh (builds CoreDNS and the test responder from the Go module proxy)`);
  return bin;
}
