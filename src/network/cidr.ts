// IPv4 and IPv6 address and CIDR arithmetic on BigInt, with Go's parsing rules (Kubernetes
// components parse with net.ParseCIDR / netip), and the per-node subnet arithmetic of
// kube-controller-manager's node IPAM (pkg/controller/nodeipam/ipam/cidrset).

import { BerthError } from '../platform/errors.ts';

/** Address family: 4 or 6. */
export type IpFamily = 4 | 6;

/** An IP address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** A CIDR block. `base` always has its host bits clear. */
export interface Cidr {
  readonly family: IpFamily;
  readonly base: bigint;
  readonly prefix: number;
}

/** What `net.ParseCIDR` returns: the address as written and the network it lies in. */
export interface ParsedCidr {
  readonly address: IpAddress;
  readonly cidr: Cidr;
}

/** Options of {@link parseCidr}. */
export interface ParseCidrOptions {
  /** Reject a CIDR whose address has host bits set (`10.0.0.1/8`) instead of masking them. */
  readonly strict?: boolean;
}

/** Number of bits of an address of `family`. */
export function familyBits(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

function invalid(message: string): BerthError {
  return new BerthError('Invalid', message);
}

function parseIPv4Value(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Go rejects leading zeros ("010") since 1.17: they were read as octal by some parsers.
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIPv6Value(text: string): bigint | undefined {
  let head = text;
  let tail = '';
  const gap = text.indexOf('::');
  if (gap >= 0) {
    if (text.indexOf('::', gap + 1) >= 0) return undefined;
    head = text.slice(0, gap);
    tail = text.slice(gap + 2);
  }
  const split = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const headGroups = split(head);
  const tailGroups = split(tail);
  const groups: number[] = [];
  const readGroups = (list: readonly string[], last: boolean): boolean => {
    for (let k = 0; k < list.length; k++) {
      const g = list[k];
      if (last && k === list.length - 1 && g.includes('.')) {
        const v4 = parseIPv4Value(g);
        if (v4 === undefined) return false;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
      groups.push(parseInt(g, 16));
    }
    return true;
  };
  const headEndsAddress = gap < 0;
  if (!readGroups(headGroups, headEndsAddress)) return undefined;
  const headCount = groups.length;
  if (!readGroups(tailGroups, true)) return undefined;
  const tailCount = groups.length - headCount;
  if (gap < 0) {
    if (groups.length !== 8) return undefined;
  } else {
    // "::" stands for at least one zero group.
    if (groups.length > 7) return undefined;
    groups.splice(headCount, 0, ...new Array<number>(8 - headCount - tailCount).fill(0));
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

/**
 * Parses an IPv4 or IPv6 address with Go's `netip.ParseAddr` rules: IPv4 is four decimal
 * octets without leading zeros; IPv6 follows RFC 4291 (one `::`, an optional dotted IPv4
 * tail). Zones (`%eth0`) are refused, as `net.ParseCIDR` refuses them. An IPv4-mapped IPv6
 * address (`::ffff:10.0.0.1`) stays IPv6. Throws `Invalid`.
 */
export function parseIp(text: string): IpAddress {
  if (!text.includes(':')) {
    const value = parseIPv4Value(text);
    if (value !== undefined) return { family: 4, value };
  } else if (!text.includes('%')) {
    const value = parseIPv6Value(text);
    if (value !== undefined) return { family: 6, value };
  }
  throw invalid(`invalid IP address: ${text}`);
}

/** Formats an address: dotted decimal, or RFC 5952 text (IPv4-mapped as `::ffff:a.b.c.d`, as Go's netip). */
export function formatIp(address: IpAddress): string {
  const v = address.value;
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((v >> shift) & 0xffn)).join('.');
  }
  if (v >> 32n === 0xffffn) {
    return `::ffff:${formatIp({ family: 4, value: v & 0xffffffffn })}`;
  }
  const groups: number[] = [];
  for (let k = 7; k >= 0; k--) groups.push(Number((v >> BigInt(k * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLength) {
      bestStart = k;
      bestLength = end - k;
    }
    k = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function hostMask(family: IpFamily, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

/** Builds a CIDR from an address and a prefix length, clearing host bits. Throws `Invalid` on a bad prefix. */
export function cidrOf(address: IpAddress, prefix: number): Cidr {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > familyBits(address.family)) {
    throw invalid(`invalid prefix length ${prefix} for an IPv${address.family} address`);
  }
  return { family: address.family, base: address.value & ~hostMask(address.family, prefix), prefix };
}

/**
 * Parses `address/prefix` as Go's `net.ParseCIDR`: returns both the address as written and
 * its network (host bits cleared). The prefix is decimal, 0 to 32 or 128. Throws `Invalid`
 * with Go's wording `invalid CIDR address: <text>`.
 */
export function parseCidrAddress(text: string): ParsedCidr {
  const slash = text.indexOf('/');
  const fail = (): never => {
    throw invalid(`invalid CIDR address: ${text}`);
  };
  if (slash < 0) return fail();
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return fail();
  let address: IpAddress;
  try {
    address = parseIp(text.slice(0, slash));
  } catch {
    return fail();
  }
  const prefix = Number(prefixText);
  if (prefix > familyBits(address.family)) return fail();
  return { address, cidr: cidrOf(address, prefix) };
}

/**
 * Parses a CIDR. By default, as `net.ParseCIDR` and so most of Kubernetes, host bits are
 * accepted and cleared (`10.0.0.1/8` is `10.0.0.0/8`); with `strict`, they are refused.
 * Throws `Invalid`.
 */
export function parseCidr(text: string, options: ParseCidrOptions = {}): Cidr {
  const { address, cidr } = parseCidrAddress(text);
  if (options.strict && address.value !== cidr.base) {
    throw invalid(`invalid CIDR address: ${text}: host bits are set (did you mean "${formatCidr(cidr)}"?)`);
  }
  return cidr;
}

/** `address/prefix`, the canonical text of a CIDR. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ family: cidr.family, value: cidr.base })}/${cidr.prefix}`;
}

/** The last address of the block, as an integer. */
export function lastAddress(cidr: Cidr): bigint {
  return cidr.base | hostMask(cidr.family, cidr.prefix);
}

/** Number of addresses in the block: 2^(bits - prefix). */
export function addressCount(cidr: Cidr): bigint {
  return 1n << BigInt(familyBits(cidr.family) - cidr.prefix);
}

/** True when `address` lies in `cidr`; false across families. */
export function containsAddress(cidr: Cidr, address: IpAddress): boolean {
  return cidr.family === address.family && address.value >= cidr.base && address.value <= lastAddress(cidr);
}

/** True when every address of `inner` lies in `outer` (a block contains itself); false across families. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.prefix <= inner.prefix && inner.base >= outer.base && inner.base <= lastAddress(outer);
}

/** True when the blocks share an address (for CIDRs: one contains the other); false across families. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.base <= lastAddress(b) && b.base <= lastAddress(a);
}

/** kube-controller-manager's default `--node-cidr-mask-size`: /24 for IPv4, /64 for IPv6. */
export function defaultNodeMaskSize(family: IpFamily): number {
  return family === 4 ? 24 : 64;
}

function checkSubnetMask(cluster: Cidr, maskSize: number): void {
  if (!Number.isInteger(maskSize) || maskSize > familyBits(cluster.family)) {
    throw invalid(`SubNetMask is invalid, should be lower or equal to 32 for IPv4 and to 128 for IPv6`);
  }
  if (maskSize < cluster.prefix) {
    throw invalid(`node CIDR mask size /${maskSize} is larger than the cluster CIDR ${formatCidr(cluster)}`);
  }
}

/** Number of /maskSize subnets in `cluster`: 2^(maskSize - prefix). Throws `Invalid` on a bad mask size. */
export function subnetCount(cluster: Cidr, maskSize: number): bigint {
  checkSubnetMask(cluster, maskSize);
  return 1n << BigInt(maskSize - cluster.prefix);
}

/**
 * The `index`-th /maskSize subnet of `cluster`, numbered from its base as the node IPAM
 * numbers them (index shifted into the node bits). Throws `Invalid` when out of bounds.
 */
export function subnetAt(cluster: Cidr, maskSize: number, index: bigint): Cidr {
  const count = subnetCount(cluster, maskSize);
  if (index < 0n || index >= count) {
    throw invalid(`subnet index ${index} is outside 0-${count - 1n} for /${maskSize} subnets of ${formatCidr(cluster)}`);
  }
  return { family: cluster.family, base: cluster.base | (index << BigInt(familyBits(cluster.family) - maskSize)), prefix: maskSize };
}

/** The /maskSize subnets of `cluster` in address order, lazily (a /8 has 65,536 /24s). */
export function* subnetsOf(cluster: Cidr, maskSize: number): Generator<Cidr> {
  const count = subnetCount(cluster, maskSize);
  for (let index = 0n; index < count; index++) yield subnetAt(cluster, maskSize, index);
}

/** A subnet chosen by {@link nextFreeSubnet}. */
export interface SubnetChoice {
  readonly subnet: Cidr;
  readonly index: bigint;
  /** Where the next search starts: index + 1, wrapping to 0. */
  readonly nextCandidate: bigint;
}

/**
 * The node IPAM range allocator's choice of a node's pod CIDR (cidrset `AllocateNext`): the
 * first /maskSize subnet of `cluster` at or after `nextCandidate` that no `used` block
 * overlaps, wrapping to the start. `used` blocks may be of any size; like cidrset's `Occupy`,
 * each marks every subnet it touches. Returns `undefined` when every subnet is used.
 *
 * Throws `Invalid`, with kube-controller-manager's wording where it has one: a mask size
 * beyond the family (`SubNetMask is invalid, ...`), an IPv6 mask more than 16 bits longer than
 * the cluster prefix (`New CIDR set failed; the node CIDR size is too big`), a used block of
 * another family or outside the cluster (`cidr X is out the range of cluster cidr Y`).
 *
 * Cost: O(u log u) in the number of used blocks; the subnets are never enumerated.
 */
export function nextFreeSubnet(cluster: Cidr, maskSize: number, used: readonly Cidr[], nextCandidate = 0n): SubnetChoice | undefined {
  const count = subnetCount(cluster, maskSize);
  if (cluster.family === 6 && maskSize - cluster.prefix > 16) {
    throw invalid('New CIDR set failed; the node CIDR size is too big');
  }
  const shift = BigInt(familyBits(cluster.family) - maskSize);
  const intervals: [bigint, bigint][] = used.map((block) => {
    if (!cidrsOverlap(block, cluster)) {
      throw invalid(`cidr ${formatCidr(block)} is out the range of cluster cidr ${formatCidr(cluster)}`);
    }
    if (block.prefix <= cluster.prefix) return [0n, count - 1n];
    return [(block.base - cluster.base) >> shift, (lastAddress(block) - cluster.base) >> shift];
  });
  intervals.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const merged: [bigint, bigint][] = [];
  for (const [begin, end] of intervals) {
    const last = merged[merged.length - 1];
    if (last && begin <= last[1] + 1n) {
      if (end > last[1]) last[1] = end;
    } else merged.push([begin, end]);
  }
  const firstFreeFrom = (from: bigint): bigint | undefined => {
    let candidate = from;
    for (const [begin, end] of merged) {
      if (end < candidate) continue;
      if (begin > candidate) break;
      candidate = end + 1n;
    }
    return candidate < count ? candidate : undefined;
  };
  const start = ((nextCandidate % count) + count) % count;
  let index = firstFreeFrom(start);
  if (index === undefined) {
    const wrapped = firstFreeFrom(0n);
    if (wrapped !== undefined && wrapped < start) index = wrapped;
  }
  if (index === undefined) return undefined;
  return { subnet: subnetAt(cluster, maskSize, index), index, nextCandidate: (index + 1n) % count };
}

/**
 * The fewest CIDRs that cover exactly the addresses `first` to `last` (inclusive), in address
 * order: the greedy largest aligned block at each step. Throws `Invalid` when the families
 * differ or `first` > `last`.
 */
export function rangeToCidrs(first: IpAddress, last: IpAddress): readonly Cidr[] {
  if (first.family !== last.family) throw invalid(`range ${formatIp(first)}-${formatIp(last)} mixes IPv4 and IPv6`);
  if (first.value > last.value) throw invalid(`range ${formatIp(first)}-${formatIp(last)} ends before it starts`);
  const bits = familyBits(first.family);
  const blocks: Cidr[] = [];
  let at = first.value;
  while (at <= last.value) {
    let hostBits = 0;
    while (hostBits < bits) {
      const size = 1n << BigInt(hostBits + 1);
      if ((at & (size - 1n)) !== 0n || at + size - 1n > last.value) break;
      hostBits++;
    }
    blocks.push({ family: first.family, base: at, prefix: bits - hostBits });
    at += 1n << BigInt(hostBits);
  }
  return blocks;
}
