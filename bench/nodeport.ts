// NodePort allocation under load: 1,000,000 allocate/release pairs in the default range
// (30000-32767, 2,768 ports) with 500 reserved legacy ports and 2,000 ports already allocated,
// so only 268 ports are free and the search for one matters.
//
// Peer, measured in the same run: a naive baseline that does what upstream's
// randomScanStrategyWithOffset does over a plain array, one port at a time from a random start.
// Both draw the same random numbers and must pick the same ports; the bench checks that.
//
// A second scenario leaves only 8 ports free, where scanning costs most (a tenth of the pairs,
// as the naive baseline needs about 30 µs a pair there).
//
// Run: node bench/nodeport.ts [pairs]

import { NodePortAllocator, calculateRangeOffset, type PortReservation, type RandomInt } from '../src/compute/nodeport.ts';

const base = 30000;
const size = 2768;
const preallocated = 2000;
const pairCount = Number(process.argv[2] ?? 1_000_000);

function seeded(seed: number): RandomInt {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

/** 500 reserved ports: 20 ranges of 20 ports and 100 single ports, spread over both bands. */
function reservations(): readonly PortReservation[] {
  const list: PortReservation[] = [];
  for (let k = 0; k < 20; k++) {
    const from = base + 40 + k * 130;
    list.push({ from, to: from + 19, service: `legacy-range-${k}`, owner: 'bench' });
  }
  for (let k = 0; k < 100; k++) {
    list.push({ from: base + 65 + k * 26, service: `legacy-port-${k}`, owner: 'bench' });
  }
  return list;
}

/** Naive baseline: one byte per port, linear scan from a random start, as upstream scans its bitmap. */
class NaiveNodePortAllocator {
  private readonly state: Uint8Array;
  private readonly offset: number;
  private readonly random: RandomInt;

  constructor(reserved: readonly PortReservation[], random: RandomInt) {
    this.state = new Uint8Array(size);
    this.offset = calculateRangeOffset(size);
    this.random = random;
    for (const r of reserved) for (let p = r.from; p <= (r.to ?? r.from); p++) this.state[p - base] = 2;
  }

  allocateNext(): number {
    const upper = size - this.offset;
    let start = this.random(upper);
    for (let i = 0; i < upper; i++) {
      const at = this.offset + ((start + i) % upper);
      if (this.state[at] === 0) {
        this.state[at] = 1;
        return base + at;
      }
    }
    start = this.random(this.offset);
    for (let i = 0; i < this.offset; i++) {
      const at = (start + i) % this.offset;
      if (this.state[at] === 0) {
        this.state[at] = 1;
        return base + at;
      }
    }
    throw new Error('range is full');
  }

  release(port: number): void {
    if (this.state[port - base] === 1) this.state[port - base] = 0;
  }
}

interface Allocator {
  allocateNext(): number;
  release(port: number): unknown;
}

function run(name: string, allocated: number, pairs: number, make: (random: RandomInt) => Allocator): { name: string; seconds: number; checksum: number } {
  const random = seeded(2024);
  const allocator = make(random);
  for (let k = 0; k < allocated; k++) allocator.allocateNext();
  let checksum = 0;
  const start = process.hrtime.bigint();
  for (let k = 0; k < pairs; k++) {
    const port = allocator.allocateNext();
    checksum = (Math.imul(checksum, 31) + port) | 0;
    allocator.release(port);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { name, seconds, checksum };
}

const reserved = reservations();
const reservedPorts = reserved.reduce((n, r) => n + (r.to ?? r.from) - r.from + 1, 0);
if (reservedPorts !== 500) throw new Error(`bench set-up: ${reservedPorts} reserved ports, want 500`);

function scenario(allocated: number, pairs: number): void {
  // Warm both up so the JIT has compiled the hot paths before timing.
  run('warm-up', allocated, pairs / 10, (random) => new NodePortAllocator({ reservations: reserved, random }));
  run('warm-up', allocated, pairs / 10, (random) => new NaiveNodePortAllocator(reserved, random));

  const berth = run('berth NodePortAllocator (hierarchical bitmap)', allocated, pairs, (random) => new NodePortAllocator({ reservations: reserved, random }));
  const naive = run('naive baseline (linear scan, upstream order)', allocated, pairs, (random) => new NaiveNodePortAllocator(reserved, random));
  if (berth.checksum !== naive.checksum) {
    throw new Error(`the allocators chose different ports (checksums ${berth.checksum} vs ${naive.checksum})`);
  }

  console.log(`NodePort allocate/release: ${pairs.toLocaleString('en-US')} pairs, range ${base}-${base + size - 1}, ${reservedPorts} reserved, ${allocated} allocated, ${size - reservedPorts - allocated} free`);
  for (const r of [berth, naive]) {
    const pairsPerSecond = Math.round(pairs / r.seconds).toLocaleString('en-US');
    const opsPerSecond = Math.round((2 * pairs) / r.seconds).toLocaleString('en-US');
    console.log(`  ${r.name.padEnd(48)} ${r.seconds.toFixed(3)} s  ${pairsPerSecond} pairs/s  ${opsPerSecond} ops/s`);
  }
  console.log(`  same ports chosen by both: yes; speed-up over the naive baseline: ${(naive.seconds / berth.seconds).toFixed(1)}x`);
}

scenario(preallocated, pairCount);
// A nearly full range, where a scan walks far to find one of the few free ports.
scenario(size - reservedPorts - 8, Math.ceil(pairCount / 10));
