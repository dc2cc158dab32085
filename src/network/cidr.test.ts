import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addressCount,
  cidrsOverlap,
  containsAddress,
  containsCidr,
  defaultNodeMaskSize,
  formatCidr,
  formatIp,
  lastAddress,
  nextFreeSubnet,
  parseCidr,
  parseCidrAddress,
  parseIp,
  rangeToCidrs,
  subnetAt,
  subnetCount,
  subnetsOf,
} from './cidr.ts';

const c = (text: string) => parseCidr(text);
const ip = (text: string) => parseIp(text);

describe('parseIp / formatIp (Go netip rules)', () => {
  const good: readonly { text: string; printed: string; family: 4 | 6 }[] = [
    { text: '10.0.0.1', printed: '10.0.0.1', family: 4 },
    { text: '0.0.0.0', printed: '0.0.0.0', family: 4 },
    { text: '255.255.255.255', printed: '255.255.255.255', family: 4 },
    { text: '2001:DB8::1', printed: '2001:db8::1', family: 6 },
    { text: '2001:db8:0:0:1:0:0:1', printed: '2001:db8::1:0:0:1', family: 6 },
    { text: '2001:db8:0:1:1:1:1:1', printed: '2001:db8:0:1:1:1:1:1', family: 6 },
    { text: '::', printed: '::', family: 6 },
    { text: '::1', printed: '::1', family: 6 },
    { text: 'fe80::', printed: 'fe80::', family: 6 },
    { text: '1:2:3:4:5:6:7::', printed: '1:2:3:4:5:6:7:0', family: 6 },
    { text: '::ffff:10.1.2.3', printed: '::ffff:10.1.2.3', family: 6 },
    { text: '64:ff9b::192.0.2.33', printed: '64:ff9b::c000:221', family: 6 },
  ];
  for (const g of good) {
    it(`parses ${g.text}`, () => {
      const a = ip(g.text);
      assert.equal(a.family, g.family);
      assert.equal(formatIp(a), g.printed);
      assert.deepEqual(parseIp(formatIp(a)), a);
    });
  }
  const bad = ['', '10.0.0', '10.0.0.256', '010.0.0.1', '1.2.3.4.5', '1.2.3.-4', ':::', '1::2::3', '12345::', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', '::1.2.3', 'g::1', '1:2:3:4:5:6:7'];
  for (const text of bad) {
    it(`rejects "${text}"`, () => assert.throws(() => parseIp(text), /invalid IP address/));
  }
});

describe('parseCidr (net.ParseCIDR semantics)', () => {
  it('clears host bits and keeps the address as written', () => {
    const parsed = parseCidrAddress('10.1.2.3/8');
    assert.equal(formatIp(parsed.address), '10.1.2.3');
    assert.equal(formatCidr(parsed.cidr), '10.0.0.0/8');
    assert.equal(formatCidr(c('2001:db8::1/32')), '2001:db8::/32');
  });
  it('strict mode refuses host bits and suggests the network', () => {
    assert.throws(() => parseCidr('10.1.2.3/8', { strict: true }), /host bits are set \(did you mean "10.0.0.0\/8"\?\)/);
    assert.equal(formatCidr(parseCidr('10.0.0.0/8', { strict: true })), '10.0.0.0/8');
  });
  const bad = ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '2001:db8::/129', 'fe80::%eth0/64', '10.0.0.256/8', '10.0.0.0/8/8', '10.0.0.0/1a'];
  for (const text of bad) {
    it(`rejects "${text}"`, () => assert.throws(() => parseCidr(text), new RegExp(`invalid CIDR address: ${text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`)));
  }
  it('accepts /0 and full-length prefixes', () => {
    assert.equal(addressCount(c('0.0.0.0/0')), 1n << 32n);
    assert.equal(addressCount(c('::/0')), 1n << 128n);
    assert.equal(addressCount(c('10.0.0.1/32')), 1n);
    assert.equal(lastAddress(c('10.0.0.0/24')), ip('10.0.0.255').value);
  });
});

describe('contains and overlaps', () => {
  const cases: readonly { name: string; a: string; b: string; overlap: boolean; aContainsB: boolean }[] = [
    { name: 'v4 nested', a: '10.0.0.0/8', b: '10.1.0.0/16', overlap: true, aContainsB: true },
    { name: 'v4 nested, reversed', a: '10.1.0.0/16', b: '10.0.0.0/8', overlap: true, aContainsB: false },
    { name: 'v4 equal', a: '192.168.0.0/24', b: '192.168.0.0/24', overlap: true, aContainsB: true },
    { name: 'v4 adjacent', a: '192.168.0.0/24', b: '192.168.1.0/24', overlap: false, aContainsB: false },
    { name: 'v4 disjoint', a: '10.0.0.0/8', b: '172.16.0.0/12', overlap: false, aContainsB: false },
    { name: 'v4 everything', a: '0.0.0.0/0', b: '203.0.113.7/32', overlap: true, aContainsB: true },
    { name: 'v6 nested', a: '2001:db8::/32', b: '2001:db8:1::/48', overlap: true, aContainsB: true },
    { name: 'v6 adjacent', a: '2001:db8::/33', b: '2001:db8:8000::/33', overlap: false, aContainsB: false },
    { name: 'v6 everything', a: '::/0', b: 'fd00::/8', overlap: true, aContainsB: true },
    { name: 'v4 and v6 never overlap', a: '0.0.0.0/0', b: '::/0', overlap: false, aContainsB: false },
    { name: 'v4-mapped v6 is not v4', a: '10.0.0.0/8', b: '::ffff:10.0.0.0/104', overlap: false, aContainsB: false },
  ];
  for (const t of cases) {
    it(t.name, () => {
      assert.equal(cidrsOverlap(c(t.a), c(t.b)), t.overlap);
      assert.equal(cidrsOverlap(c(t.b), c(t.a)), t.overlap, 'overlap is symmetric');
      assert.equal(containsCidr(c(t.a), c(t.b)), t.aContainsB);
    });
  }
  it('containsAddress checks both ends and the family', () => {
    assert.equal(containsAddress(c('10.0.0.0/24'), ip('10.0.0.0')), true);
    assert.equal(containsAddress(c('10.0.0.0/24'), ip('10.0.0.255')), true);
    assert.equal(containsAddress(c('10.0.0.0/24'), ip('10.0.1.0')), false);
    assert.equal(containsAddress(c('::/0'), ip('10.0.0.1')), false);
    assert.equal(containsAddress(c('2001:db8::/64'), ip('2001:db8::ffff:ffff:ffff:ffff')), true);
  });
});

describe('per-node subnets (node IPAM cidrset)', () => {
  it('uses /24 and /64 by default', () => {
    assert.equal(defaultNodeMaskSize(4), 24);
    assert.equal(defaultNodeMaskSize(6), 64);
  });
  it('splits a v4 cluster CIDR in address order', () => {
    const got = [...subnetsOf(c('10.244.0.0/22'), 24)].map(formatCidr);
    assert.deepEqual(got, ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
  });
  it('splits a v6 cluster CIDR, the index reaching across the 64-bit halves', () => {
    const cluster = c('fd00:10::/62');
    assert.deepEqual([...subnetsOf(cluster, 64)].map(formatCidr), ['fd00:10::/64', 'fd00:10:0:1::/64', 'fd00:10:0:2::/64', 'fd00:10:0:3::/64']);
    // /56 into /72: the index spans bits 56-71, across the middle of the address.
    assert.equal(formatCidr(subnetAt(c('fd00::/56'), 72, 0xffffn)), 'fd00:0:0:ff:ff00::/72');
  });
  it('counts subnets and addresses', () => {
    assert.equal(subnetCount(c('10.0.0.0/8'), 24), 65536n);
    assert.equal(subnetCount(c('10.0.0.0/24'), 24), 1n);
    assert.equal(subnetCount(c('fd00::/48'), 64), 65536n);
    assert.equal(subnetCount(c('fd00::/8'), 64), 1n << 56n);
    assert.equal(addressCount(subnetAt(c('10.0.0.0/8'), 26, 5n)), 64n);
  });
  it('refuses a node mask shorter than the cluster prefix or beyond the family', () => {
    assert.throws(() => subnetCount(c('10.0.0.0/16'), 8), /larger than the cluster CIDR 10.0.0.0\/16/);
    assert.throws(() => subnetCount(c('10.0.0.0/16'), 33), /SubNetMask is invalid/);
    assert.throws(() => subnetAt(c('10.0.0.0/16'), 24, 256n), /outside 0-255/);
  });
});

describe('nextFreeSubnet (cidrset AllocateNext order)', () => {
  const cluster = c('10.244.0.0/16');
  const cases: readonly { name: string; used: readonly string[]; next?: bigint; want?: string; wantNext?: bigint }[] = [
    { name: 'empty cluster: first subnet', used: [], want: '10.244.0.0/24', wantNext: 1n },
    { name: 'skips used subnets in order', used: ['10.244.0.0/24', '10.244.1.0/24'], want: '10.244.2.0/24', wantNext: 3n },
    { name: 'starts at the next candidate, not at a hole before it', used: ['10.244.5.0/24'], next: 5n, want: '10.244.6.0/24', wantNext: 7n },
    { name: 'wraps to a hole before the candidate', used: ['10.244.128.0/17', '10.244.1.0/24'], next: 200n, want: '10.244.0.0/24', wantNext: 1n },
    { name: 'a used block larger than a subnet takes every subnet it touches', used: ['10.244.0.0/22'], want: '10.244.4.0/24' },
    { name: 'a used block smaller than a subnet takes its whole subnet', used: ['10.244.0.128/25'], want: '10.244.1.0/24' },
    { name: 'last subnet wraps the candidate to 0', used: [], next: 255n, want: '10.244.255.0/24', wantNext: 0n },
    { name: 'full cluster', used: ['10.244.0.0/17', '10.244.128.0/17'] },
    { name: 'a used block covering the whole cluster', used: ['10.0.0.0/8'] },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const choice = nextFreeSubnet(cluster, 24, t.used.map(c), t.next ?? 0n);
      if (!t.want) {
        assert.equal(choice, undefined);
        return;
      }
      assert.ok(choice);
      assert.equal(formatCidr(choice.subnet), t.want);
      if (t.wantNext !== undefined) assert.equal(choice.nextCandidate, t.wantNext);
    });
  }
  it('allocating repeatedly walks the cluster like cidrset and never repeats', () => {
    const small = c('10.0.0.0/28');
    const used: ReturnType<typeof c>[] = [c('10.0.0.4/30')];
    let next = 0n;
    const order: string[] = [];
    for (;;) {
      const choice = nextFreeSubnet(small, 30, used, next);
      if (!choice) break;
      order.push(formatCidr(choice.subnet));
      used.push(choice.subnet);
      next = choice.nextCandidate;
    }
    assert.deepEqual(order, ['10.0.0.0/30', '10.0.0.8/30', '10.0.0.12/30']);
  });
  it('works on IPv6 with the default /64', () => {
    const v6 = c('fd00:10:244::/56');
    const choice = nextFreeSubnet(v6, 64, [c('fd00:10:244::/64')]);
    assert.equal(choice && formatCidr(choice.subnet), 'fd00:10:244:1::/64');
  });
  it('refuses what kube-controller-manager refuses', () => {
    assert.throws(() => nextFreeSubnet(c('fd00::/32'), 64, []), /New CIDR set failed; the node CIDR size is too big/);
    assert.throws(() => nextFreeSubnet(cluster, 24, [c('10.245.0.0/24')]), /cidr 10.245.0.0\/24 is out the range of cluster cidr 10.244.0.0\/16/);
    assert.throws(() => nextFreeSubnet(cluster, 24, [c('fd00::/64')]), /out the range/);
  });
});

describe('rangeToCidrs (fewest CIDRs for a range)', () => {
  const cases: readonly { name: string; first: string; last: string; want: readonly string[] }[] = [
    { name: 'single address', first: '10.0.0.5', last: '10.0.0.5', want: ['10.0.0.5/32'] },
    { name: 'aligned block', first: '10.0.0.0', last: '10.0.0.255', want: ['10.0.0.0/24'] },
    { name: 'everything v4', first: '0.0.0.0', last: '255.255.255.255', want: ['0.0.0.0/0'] },
    { name: 'unaligned both ends', first: '10.0.0.1', last: '10.0.0.6', want: ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32'] },
    {
      name: 'the complement of 10.0.0.0/8 below it',
      first: '0.0.0.0',
      last: '9.255.255.255',
      want: ['0.0.0.0/5', '8.0.0.0/7'],
    },
    {
      name: 'the complement of 10.0.0.0/8 above it',
      first: '11.0.0.0',
      last: '255.255.255.255',
      want: ['11.0.0.0/8', '12.0.0.0/6', '16.0.0.0/4', '32.0.0.0/3', '64.0.0.0/2', '128.0.0.0/1'],
    },
    { name: 'v6 range', first: '2001:db8::1', last: '2001:db8::ffff', want: ['2001:db8::1/128', '2001:db8::2/127', '2001:db8::4/126', '2001:db8::8/125', '2001:db8::10/124', '2001:db8::20/123', '2001:db8::40/122', '2001:db8::80/121', '2001:db8::100/120', '2001:db8::200/119', '2001:db8::400/118', '2001:db8::800/117', '2001:db8::1000/116', '2001:db8::2000/115', '2001:db8::4000/114', '2001:db8::8000/113'] },
    { name: 'everything v6', first: '::', last: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', want: ['::/0'] },
  ];
  for (const t of cases) {
    it(t.name, () => assert.deepEqual(rangeToCidrs(ip(t.first), ip(t.last)).map(formatCidr), t.want));
  }
  it('covers exactly the range, in order, with no overlap (random ranges)', () => {
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state;
    };
    for (let k = 0; k < 300; k++) {
      const a = BigInt(next());
      const b = BigInt(next());
      const first = a < b ? a : b;
      const last = a < b ? b : a;
      const blocks = rangeToCidrs({ family: 4, value: first }, { family: 4, value: last });
      let at = first;
      for (const block of blocks) {
        assert.equal(block.base, at, 'blocks are contiguous');
        at = lastAddress(block) + 1n;
      }
      assert.equal(at, last + 1n, 'blocks end at the last address');
      // Minimal: two neighbours that could merge into one aligned block would mean a wasted CIDR.
      for (let i = 1; i < blocks.length; i++) {
        const x = blocks[i - 1];
        const y = blocks[i];
        const parentShift = BigInt(33 - x.prefix);
        const mergeable = x.prefix === y.prefix && x.base >> parentShift === y.base >> parentShift;
        assert.ok(!mergeable, `blocks ${formatCidr(x)} and ${formatCidr(y)} could be one`);
      }
    }
  });
  it('refuses inverted and mixed ranges', () => {
    assert.throws(() => rangeToCidrs(ip('10.0.0.2'), ip('10.0.0.1')), /ends before it starts/);
    assert.throws(() => rangeToCidrs(ip('10.0.0.1'), ip('::1')), /mixes IPv4 and IPv6/);
  });
});
