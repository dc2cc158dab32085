// The NodePort allocator of one cluster, with kube-apiserver's semantics
// (pkg/registry/core/service/portallocator with the KEP-3668 "offset" bitmap strategy):
// automatic allocation picks a random free port in the upper band and scans forward with
// wrap-around; only when the upper band is full does it do the same in the lower band, which
// is left to explicit requests. On top of that, Berth adds reserved legacy business ports:
// never handed out automatically, and refused to explicit requests with their owner named.
//
// The search does not scan the range: free ports sit in a hierarchical bitmap (one bit per
// port, then one bit per non-empty word, and so on up to a single word), so "the first free
// port at or after p" costs one word test per level: O(log32(size)).

import { BerthError } from '../platform/errors.ts';

/** A contiguous range of ports, `base` to `base + size - 1`, as Kubernetes' `net.PortRange`. */
export interface PortRange {
  readonly base: number;
  readonly size: number;
}

/** kube-apiserver's default `--service-node-port-range`. */
export const defaultNodePortRange: PortRange = { base: 30000, size: 2768 };

/**
 * A legacy business port, or an inclusive range of them, that Berth must never hand out.
 * `to` defaults to `from` (a single port).
 */
export interface PortReservation {
  readonly from: number;
  readonly to?: number;
  /** The legacy service that listens on these ports. */
  readonly service: string;
  /** Who to ask about it. */
  readonly owner: string;
  readonly note?: string;
}

/** Why a NodePort request failed; each maps to one kube-apiserver error. */
export type NodePortFailure = 'NotInRange' | 'Allocated' | 'Reserved' | 'Full';

/**
 * A refused NodePort request. Messages use kube-apiserver's wording for the standard cases
 * (`provided port is already allocated`, `provided port is not in the valid range. The range
 * of valid ports is 30000-32767`, `range is full`); a reserved port names its service and owner.
 * Refusals of a requested port are `Invalid` (kube-apiserver answers 422 on
 * `spec.ports[].nodePort`); a full range is an `InternalError`, as there.
 */
export class NodePortError extends BerthError {
  readonly failure: NodePortFailure;
  readonly port?: number;
  readonly reservation?: PortReservation;

  constructor(failure: NodePortFailure, message: string, port?: number, reservation?: PortReservation) {
    super(failure === 'Full' ? 'InternalError' : 'Invalid', message);
    this.failure = failure;
    this.port = port;
    this.reservation = reservation;
  }
}

/**
 * Serializable state of a {@link NodePortAllocator}. `range` and `data` have the shape of a
 * Kubernetes `RangeAllocation` (`data` is base64 of the big-endian bytes of a big integer whose
 * bit i is set when port base+i is allocated), so a cluster's own allocation can be imported.
 */
export interface NodePortSnapshot {
  readonly range: string;
  readonly data: string;
  readonly reservations: readonly PortReservation[];
}

/** Returns an integer in [0, n); n >= 1. */
export type RandomInt = (n: number) => number;

/** Options of a {@link NodePortAllocator}. */
export interface NodePortAllocatorOptions {
  /** Defaults to {@link defaultNodePortRange}. */
  readonly range?: PortRange;
  readonly reservations?: readonly PortReservation[];
  /** Random source for the start of the scan; defaults to `Math.random`. */
  readonly random?: RandomInt;
}

const maxPort = 65535;

/**
 * Size of the lower band, upstream's `calculateRangeOffset`: min(max(16, size/32), 128) with
 * integer division, and 0 for ranges of 16 ports or fewer.
 */
export function calculateRangeOffset(size: number): number {
  const min = 16;
  const max = 128;
  const step = 32;
  if (size <= min) return 0;
  return Math.min(Math.max(min, Math.floor(size / step)), max);
}

/** `base-last` as Kubernetes prints a port range; `""` for an empty range. */
export function formatPortRange(range: PortRange): string {
  return range.size === 0 ? '' : `${range.base}-${range.base + range.size - 1}`;
}

/**
 * Parses a port range as Kubernetes' `net.ParsePortRange`: `30000-32767`, `30000+2767`
 * (base plus offset) or a single port `30000`. Throws `Invalid` on anything else, on ports
 * outside 1-65535, and on an inverted range.
 */
export function parsePortRange(text: string): PortRange {
  const fail = (why: string): never => {
    throw new BerthError('Invalid', `invalid port range "${text}": ${why}`);
  };
  const match = /^(\d+)(?:([-+])(\d+))?$/.exec(text.trim());
  if (!match) return fail('expected "low-high", "base+offset" or a single port');
  const low = Number(match[1]);
  let high = low;
  if (match[2] === '-') high = Number(match[3]);
  else if (match[2] === '+') high = low + Number(match[3]);
  if (low < 1 || high > maxPort) fail(`ports must be within 1-${maxPort}`);
  if (high < low) fail('end port is before start port');
  return { base: low, size: high - low + 1 };
}

function trailingZeros(word: number): number {
  return 31 - Math.clz32(word & -word);
}


function defaultRandom(n: number): number {
  return Math.floor(Math.random() * n);
}

interface NormalizedReservation {
  readonly from: number;
  readonly to: number;
  readonly reservation: PortReservation;
}

/**
 * The NodePort allocator of one cluster. Stateful by nature (an explicit class, not shared):
 * callers own one per cluster and persist it through {@link snapshot}. Not thread-safe in the
 * Go sense; JavaScript runs one call at a time.
 */
export class NodePortAllocator {
  readonly range: PortRange;
  /** Ports `base` to `base + lowerBandSize - 1` form the lower band. */
  readonly lowerBandSize: number;
  private readonly random: RandomInt;
  private readonly reservations: readonly NormalizedReservation[];
  private readonly allocated: Uint32Array;
  private readonly reserved: Uint32Array;
  /** levels[0] has a bit per port, set when free; levels[k+1] a bit per non-zero word of levels[k]. */
  private readonly levels: readonly Uint32Array[];
  private allocatedCount = 0;
  private readonly reservedCount: number;

  /**
   * Throws `Invalid` when the range is empty or leaves 1-65535, or when a reservation is
   * inverted, leaves the range, or overlaps another reservation (a port has one owner).
   */
  constructor(options: NodePortAllocatorOptions = {}) {
    const range = options.range ?? defaultNodePortRange;
    if (!Number.isInteger(range.base) || !Number.isInteger(range.size) || range.size < 1 || range.base < 1 || range.base + range.size - 1 > maxPort) {
      throw new BerthError('Invalid', `invalid NodePort range ${range.base}+${range.size}: ports must be within 1-${maxPort}`);
    }
    this.range = { base: range.base, size: range.size };
    this.lowerBandSize = calculateRangeOffset(range.size);
    this.random = options.random ?? defaultRandom;
    this.reservations = normalizeReservations(this.range, options.reservations ?? []);

    const words = Math.ceil(range.size / 32);
    this.allocated = new Uint32Array(words);
    this.reserved = new Uint32Array(words);
    let reservedCount = 0;
    for (const r of this.reservations) {
      for (let port = r.from; port <= r.to; port++) {
        const i = port - range.base;
        this.reserved[i >>> 5] |= 1 << (i & 31);
      }
      reservedCount += r.to - r.from + 1;
    }
    this.reservedCount = reservedCount;

    const levels: Uint32Array[] = [];
    let length = words;
    do {
      levels.push(new Uint32Array(length));
      length = Math.ceil(length / 32);
    } while (levels[levels.length - 1].length > 1);
    this.levels = levels;
    for (let i = 0; i < range.size; i++) {
      if ((this.reserved[i >>> 5] & (1 << (i & 31))) === 0) this.markFree(i);
    }
  }

  /**
   * Rebuilds an allocator from {@link snapshot}'s output. Throws `Invalid` when the range or
   * data do not parse, data has bits beyond the range, or an allocated port is reserved.
   */
  static fromSnapshot(snapshot: NodePortSnapshot, random?: RandomInt): NodePortAllocator {
    const allocator = new NodePortAllocator({ range: parsePortRange(snapshot.range), reservations: snapshot.reservations, random });
    const bytes = Buffer.from(snapshot.data, 'base64');
    const size = allocator.range.size;
    for (let k = 0; k < bytes.length; k++) {
      const byte = bytes[bytes.length - 1 - k];
      for (let b = 0; b < 8; b++) {
        if ((byte & (1 << b)) === 0) continue;
        const offset = k * 8 + b;
        if (offset >= size) {
          throw new BerthError('Invalid', `NodePort snapshot marks offset ${offset} allocated, beyond the range ${snapshot.range}`);
        }
        const port = allocator.range.base + offset;
        const reservation = allocator.reservationOf(port);
        if (reservation) {
          throw new BerthError('Invalid', `NodePort snapshot has port ${port} allocated, but it is reserved for legacy service "${reservation.service}" (owner: ${reservation.owner})`);
        }
        allocator.take(offset);
      }
    }
    return allocator;
  }

  /** Number of ports that are allocated. */
  get used(): number {
    return this.allocatedCount;
  }

  /** Number of ports automatic allocation could still hand out (neither allocated nor reserved). */
  get free(): number {
    return this.range.size - this.reservedCount - this.allocatedCount;
  }

  /** True when `port` is allocated. */
  has(port: number): boolean {
    const i = port - this.range.base;
    if (!Number.isInteger(port) || i < 0 || i >= this.range.size) return false;
    return (this.allocated[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** The reservation covering `port`, if any. */
  reservationOf(port: number): PortReservation | undefined {
    const list = this.reservations;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].to < port) lo = mid + 1;
      else if (list[mid].from > port) hi = mid - 1;
      else return list[mid].reservation;
    }
    return undefined;
  }

  /**
   * Allocates the requested `port`. Checks, in order: the range, the reservations, current
   * use. Throws {@link NodePortError} (`NotInRange`, `Reserved`, `Allocated`); nothing changes then.
   */
  allocate(port: number): void {
    const i = port - this.range.base;
    if (!Number.isInteger(port) || i < 0 || i >= this.range.size) {
      throw new NodePortError('NotInRange', `provided port is not in the valid range. The range of valid ports is ${formatPortRange(this.range)}`, port);
    }
    const reservation = this.reservationOf(port);
    if (reservation) {
      const note = reservation.note ? `: ${reservation.note}` : '';
      throw new NodePortError('Reserved', `provided port ${port} is reserved for legacy service "${reservation.service}" (owner: ${reservation.owner})${note}`, port, reservation);
    }
    if (this.has(port)) {
      throw new NodePortError('Allocated', 'provided port is already allocated', port);
    }
    this.take(i);
  }

  /**
   * Allocates a free port as kube-apiserver does: a random start in the upper band and the
   * first free port from there (wrapping within the band); the lower band likewise, only when
   * the upper one has no free port. Reserved ports are never returned. Throws
   * {@link NodePortError} `Full` when no port is free.
   */
  allocateNext(): number {
    if (this.free <= 0) throw new NodePortError('Full', 'range is full');
    const size = this.range.size;
    const lower = this.lowerBandSize;
    let offset = this.findFreeInBand(lower, size);
    if (offset < 0 && lower > 0) offset = this.findFreeInBand(0, lower);
    if (offset < 0) throw new NodePortError('Full', 'range is full');
    this.take(offset);
    return this.range.base + offset;
  }

  /**
   * Releases `port`. Idempotent: releasing a port that is free, reserved or outside the range
   * is a no-op (as upstream). Returns whether the port was allocated.
   */
  release(port: number): boolean {
    if (!this.has(port)) return false;
    const i = port - this.range.base;
    this.allocated[i >>> 5] &= ~(1 << (i & 31));
    this.allocatedCount--;
    this.markFree(i);
    return true;
  }

  /** The allocated ports, ascending. */
  allocatedPorts(): readonly number[] {
    const ports: number[] = [];
    for (let w = 0; w < this.allocated.length; w++) {
      let word = this.allocated[w];
      while (word !== 0) {
        const bit = trailingZeros(word);
        ports.push(this.range.base + (w << 5) + bit);
        word &= word - 1;
      }
    }
    return ports;
  }

  /** The serializable state; {@link fromSnapshot} restores it exactly. */
  snapshot(): NodePortSnapshot {
    const bytes = Buffer.alloc(this.allocated.length * 4);
    const last = bytes.length - 1;
    for (let w = 0; w < this.allocated.length; w++) {
      const word = this.allocated[w];
      for (let b = 0; b < 4; b++) bytes[last - (w * 4 + b)] = (word >>> (b * 8)) & 0xff;
    }
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start++;
    return {
      range: formatPortRange(this.range),
      data: bytes.subarray(start).toString('base64'),
      reservations: this.reservations.map((r) => r.reservation),
    };
  }


  private findFreeInBand(lo: number, hi: number): number {
    const start = lo + this.random(hi - lo);
    const after = this.successor(start);
    if (after >= 0 && after < hi) return after;
    const wrapped = this.successor(lo);
    if (wrapped >= 0 && wrapped < start) return wrapped;
    return -1;
  }

  /** Smallest free offset >= from, or -1. */
  private successor(from: number): number {
    const levels = this.levels;
    let level = 0;
    let index = from;
    for (;;) {
      if (level >= levels.length) return -1;
      const words = levels[level];
      const w = index >>> 5;
      if (w >= words.length) return -1;
      const bits = words[w] & (0xffffffff << (index & 31));
      if (bits !== 0) {
        index = (w << 5) + trailingZeros(bits);
        break;
      }
      index = w + 1;
      level++;
    }
    while (level > 0) {
      level--;
      index = (index << 5) + trailingZeros(levels[level][index]);
    }
    return index;
  }

  private take(offset: number): void {
    this.allocated[offset >>> 5] |= 1 << (offset & 31);
    this.allocatedCount++;
    let index = offset;
    for (const words of this.levels) {
      const w = index >>> 5;
      words[w] &= ~(1 << (index & 31));
      if (words[w] !== 0) return;
      index = w;
    }
  }

  private markFree(offset: number): void {
    let index = offset;
    for (const words of this.levels) {
      const w = index >>> 5;
      const wasEmpty = words[w] === 0;
      words[w] |= 1 << (index & 31);
      if (!wasEmpty) return;
      index = w;
    }
  }
}

function normalizeReservations(range: PortRange, reservations: readonly PortReservation[]): readonly NormalizedReservation[] {
  const last = range.base + range.size - 1;
  const normalized = reservations.map((reservation) => {
    const from = reservation.from;
    const to = reservation.to ?? reservation.from;
    const label = from === to ? `${from}` : `${from}-${to}`;
    if (!Number.isInteger(from) || !Number.isInteger(to) || to < from) {
      throw new BerthError('Invalid', `reserved ports ${label} of legacy service "${reservation.service}": end port is before start port`);
    }
    if (from < range.base || to > last) {
      throw new BerthError('Invalid', `reserved ports ${label} of legacy service "${reservation.service}" are outside the NodePort range ${formatPortRange(range)}`);
    }
    return { from, to, reservation };
  });
  const sorted = [...normalized].sort((a, b) => a.from - b.from);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k].from <= sorted[k - 1].to) {
      throw new BerthError('Invalid', `reserved ports of legacy services "${sorted[k - 1].reservation.service}" and "${sorted[k].reservation.service}" overlap at port ${sorted[k].from}`);
    }
  }
  return sorted;
}
