import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  NodePortAllocator,
  NodePortError,
  calculateRangeOffset,
  formatPortRange,
  parsePortRange,
  type PortReservation,
  type RandomInt,
} from './nodeport.ts';

/** A deterministic random source: a seeded linear congruential generator. */
function seeded(seed: number): RandomInt {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

/** Always starts the scan at the same offset, to check the forward-with-wrap order. */
function fixed(value: number): RandomInt {
  return (n) => value % n;
}

function refusal(fn: () => unknown): NodePortError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof NodePortError, `expected NodePortError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a NodePortError');
}

describe('calculateRangeOffset (upstream min(max(16, size/32), 128))', () => {
  const cases: readonly { name: string; size: number; want: number }[] = [
    { name: 'default range 30000-32767', size: 2768, want: 86 },
    { name: 'tiny range has no lower band', size: 16, want: 0 },
    { name: 'just above the minimum', size: 17, want: 16 },
    { name: 'small range floors at 16', size: 100, want: 16 },
    { name: 'exactly 32 per step', size: 1024, want: 32 },
    { name: 'large range caps at 128', size: 10000, want: 128 },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(calculateRangeOffset(c.size), c.want));
  }
});

describe('parsePortRange / formatPortRange', () => {
  const good: readonly { name: string; text: string; base: number; size: number; printed: string }[] = [
    { name: 'low-high', text: '30000-32767', base: 30000, size: 2768, printed: '30000-32767' },
    { name: 'base+offset', text: '30000+99', base: 30000, size: 100, printed: '30000-30099' },
    { name: 'single port', text: '30000', base: 30000, size: 1, printed: '30000-30000' },
  ];
  for (const c of good) {
    it(c.name, () => {
      const r = parsePortRange(c.text);
      assert.deepEqual(r, { base: c.base, size: c.size });
      assert.equal(formatPortRange(r), c.printed);
    });
  }
  for (const text of ['', 'abc', '32767-30000', '0-100', '60000-70000', '1-2-3']) {
    it(`rejects "${text}"`, () => assert.throws(() => parsePortRange(text), /invalid port range/));
  }
});

describe('NodePortAllocator automatic allocation', () => {
  it('uses the upper band first and the lower band only when the upper band is full', () => {
    const a = new NodePortAllocator({ range: { base: 30000, size: 2768 }, random: seeded(1) });
    assert.equal(a.lowerBandSize, 86);
    const upperSize = 2768 - 86;
    const seen = new Set<number>();
    for (let k = 0; k < upperSize; k++) {
      const port = a.allocateNext();
      assert.ok(port >= 30086 && port <= 32767, `port ${port} must be in the upper band while it has room`);
      assert.ok(!seen.has(port), `port ${port} handed out twice`);
      seen.add(port);
    }
    for (let k = 0; k < 86; k++) {
      const port = a.allocateNext();
      assert.ok(port >= 30000 && port < 30086, `port ${port} must come from the lower band once the upper is full`);
      seen.add(port);
    }
    assert.equal(seen.size, 2768);
    assert.equal(a.free, 0);
    assert.equal(refusal(() => a.allocateNext()).message, 'range is full');
  });

  it('scans forward from the random start and wraps within the band', () => {
    const a = new NodePortAllocator({ range: { base: 30000, size: 100 }, random: fixed(83) });
    assert.equal(a.lowerBandSize, 16);
    // Upper band offsets 16..99 (size 84); start 83 is offset 99, the last port.
    assert.equal(a.allocateNext(), 30099);
    // Same start, 99 taken: the scan wraps to the first port of the upper band, offset 16.
    assert.equal(a.allocateNext(), 30016);
    assert.equal(a.allocateNext(), 30017);
  });

  it('skips allocated and reserved ports when scanning', () => {
    const a = new NodePortAllocator({
      range: { base: 30000, size: 100 },
      reservations: [{ from: 30050, to: 30060, service: 'billing', owner: 'finance-team' }],
      random: fixed(34),
    });
    a.allocate(30061);
    // Start is offset 16 + 34 = 50: reserved 50-60, allocated 61, so 62.
    assert.equal(a.allocateNext(), 30062);
  });

  it('never hands out reserved ports, even when they are all that is left of the upper band', () => {
    const a = new NodePortAllocator({
      range: { base: 30000, size: 2768 },
      reservations: [
        { from: 30086, to: 31000, service: 'legacy-a', owner: 'team-a' },
        { from: 31001, service: 'legacy-b', owner: 'team-b' },
        { from: 31002, to: 32767, service: 'legacy-c', owner: 'team-c', note: 'mainframe gateway' },
      ],
      random: seeded(7),
    });
    assert.equal(a.free, 86);
    const got = new Set<number>();
    for (let k = 0; k < 86; k++) got.add(a.allocateNext());
    assert.deepEqual([...got].sort((x, y) => x - y), Array.from({ length: 86 }, (_, k) => 30000 + k));
    assert.equal(refusal(() => a.allocateNext()).failure, 'Full');
  });

  it('reuses a released port', () => {
    const a = new NodePortAllocator({ range: { base: 30000, size: 20 }, random: seeded(3) });
    const ports = Array.from({ length: 20 }, () => a.allocateNext());
    assert.equal(new Set(ports).size, 20);
    assert.equal(a.release(30007), true);
    assert.equal(a.release(30007), false, 'release is idempotent');
    assert.equal(a.allocateNext(), 30007);
  });

  it('different random sources give different but valid choices', () => {
    const a = new NodePortAllocator({ random: seeded(11) });
    const b = new NodePortAllocator({ random: seeded(12) });
    const pa = Array.from({ length: 10 }, () => a.allocateNext());
    const pb = Array.from({ length: 10 }, () => b.allocateNext());
    assert.notDeepEqual(pa, pb);
    for (const p of [...pa, ...pb]) assert.ok(p >= 30086 && p <= 32767);
  });
});

describe('NodePortAllocator explicit requests', () => {
  const reservations: readonly PortReservation[] = [
    { from: 30080, service: 'billing', owner: 'finance-team' },
    { from: 31000, to: 31009, service: 'sap-gateway', owner: 'erp-ops', note: 'until migration' },
  ];
  const cases: readonly { name: string; port: number; failure?: string; message?: string }[] = [
    { name: 'a free port in the lower band', port: 30001 },
    { name: 'a free port in the upper band', port: 32000 },
    { name: 'below the range', port: 29999, failure: 'NotInRange', message: 'provided port is not in the valid range. The range of valid ports is 30000-32767' },
    { name: 'above the range', port: 32768, failure: 'NotInRange', message: 'provided port is not in the valid range. The range of valid ports is 30000-32767' },
    { name: 'not an integer', port: 30000.5, failure: 'NotInRange' },
    { name: 'a reserved single port', port: 30080, failure: 'Reserved', message: 'provided port 30080 is reserved for legacy service "billing" (owner: finance-team)' },
    { name: 'inside a reserved range, with its note', port: 31005, failure: 'Reserved', message: 'provided port 31005 is reserved for legacy service "sap-gateway" (owner: erp-ops): until migration' },
    { name: 'already allocated', port: 30500, failure: 'Allocated', message: 'provided port is already allocated' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = new NodePortAllocator({ reservations, random: seeded(5) });
      a.allocate(30500);
      const usedBefore = a.used;
      if (!c.failure) {
        a.allocate(c.port);
        assert.equal(a.has(c.port), true);
        assert.equal(a.used, usedBefore + 1);
        return;
      }
      const error = refusal(() => a.allocate(c.port));
      assert.equal(error.failure, c.failure);
      assert.equal(error.reason, 'Invalid');
      if (c.message) assert.equal(error.message, c.message);
      assert.equal(a.used, usedBefore, 'a refused request changes nothing');
    });
  }

  it('a port that is not a whole number is never allocated, so never released', () => {
    const a = new NodePortAllocator({ random: seeded(3) });
    a.allocate(30000);
    assert.equal(a.has(30000.5), false);
    assert.equal(a.release(30000.5), false);
    assert.equal(a.has(30000), true);
  });

  it('names the reservation on the error', () => {
    const a = new NodePortAllocator({ reservations });
    assert.equal(refusal(() => a.allocate(31009)).reservation?.service, 'sap-gateway');
    assert.equal(a.reservationOf(31010), undefined);
  });

  it('explicit requests may take the lower band and automatic allocation then avoids those ports', () => {
    const a = new NodePortAllocator({ range: { base: 30000, size: 40 }, random: seeded(9) });
    for (let p = 30000; p < 30016; p++) a.allocate(p);
    for (let k = 0; k < 24; k++) {
      const p = a.allocateNext();
      assert.ok(p >= 30016);
    }
    assert.equal(refusal(() => a.allocateNext()).failure, 'Full');
  });
});

describe('NodePortAllocator configuration errors', () => {
  const cases: readonly { name: string; reservations: readonly PortReservation[]; error: RegExp }[] = [
    { name: 'reservation outside the range', reservations: [{ from: 8080, service: 'web', owner: 'ops' }], error: /outside the NodePort range 30000-32767/ },
    { name: 'reservation straddling the end', reservations: [{ from: 32760, to: 32800, service: 'web', owner: 'ops' }], error: /outside/ },
    { name: 'inverted reservation', reservations: [{ from: 30100, to: 30050, service: 'web', owner: 'ops' }], error: /end port is before start port/ },
    { name: 'a reservation that is not a whole port', reservations: [{ from: 30100.5, service: 'web', owner: 'ops' }], error: /reserved ports 30100.5 of legacy service "web"/ },
    {
      name: 'overlapping reservations',
      reservations: [{ from: 30100, to: 30200, service: 'a', owner: 'x' }, { from: 30200, service: 'b', owner: 'y' }],
      error: /"a" and "b" overlap at port 30200/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.throws(() => new NodePortAllocator({ reservations: c.reservations }), c.error));
  }
  it('rejects an empty or out-of-bounds range', () => {
    assert.throws(() => new NodePortAllocator({ range: { base: 30000, size: 0 } }), /invalid NodePort range/);
    assert.throws(() => new NodePortAllocator({ range: { base: 65000, size: 1000 } }), /invalid NodePort range/);
  });
});

describe('NodePortAllocator snapshot and restore', () => {
  it('round-trips allocations and reservations', () => {
    const reservations: readonly PortReservation[] = [
      { from: 30080, service: 'billing', owner: 'finance-team' },
      { from: 31000, to: 31099, service: 'sap', owner: 'erp', note: 'n' },
    ];
    const a = new NodePortAllocator({ reservations, random: seeded(21) });
    for (let k = 0; k < 500; k++) a.allocateNext();
    a.allocate(30001);
    a.allocate(32767);
    a.release(a.allocatedPorts()[10]);
    const snap = a.snapshot();
    const json = JSON.parse(JSON.stringify(snap));
    const b = NodePortAllocator.fromSnapshot(json, seeded(21));
    assert.deepEqual(b.allocatedPorts(), a.allocatedPorts());
    assert.equal(b.used, a.used);
    assert.equal(b.free, a.free);
    assert.deepEqual(b.snapshot(), snap);
    assert.equal(refusal(() => b.allocate(30080)).failure, 'Reserved');
    assert.equal(refusal(() => b.allocate(32767)).failure, 'Allocated');
    while (b.free > 0) {
      const p = b.allocateNext();
      assert.ok(!a.has(p) && !b.reservationOf(p), `port ${p} was taken or reserved before the restore`);
    }
    assert.equal(b.used + 101, 2768);
  });

  it('uses the RangeAllocation data encoding: big-endian bytes, bit i is offset i', () => {
    const a = new NodePortAllocator({ range: { base: 30000, size: 2768 } });
    assert.equal(a.snapshot().data, '');
    a.allocate(30000);
    a.allocate(30009);
    // offsets 0 and 9: the integer 0b10_0000_0001 = 0x0201, bytes [0x02, 0x01].
    assert.equal(a.snapshot().data, Buffer.from([0x02, 0x01]).toString('base64'));
    assert.equal(a.snapshot().range, '30000-32767');
  });

  it('rejects data beyond the range and allocations on reserved ports', () => {
    assert.throws(
      () => NodePortAllocator.fromSnapshot({ range: '30000-30007', data: Buffer.from([0x01, 0x00]).toString('base64'), reservations: [] }),
      /offset 8 allocated, beyond the range/,
    );
    assert.throws(
      () => NodePortAllocator.fromSnapshot({ range: '30000-30007', data: Buffer.from([0x04]).toString('base64'), reservations: [{ from: 30002, service: 'x', owner: 'y' }] }),
      /port 30002 allocated, but it is reserved for legacy service "x"/,
    );
  });
});

describe('NodePortAllocator against a plain model', () => {
  it('agrees with a Set-based model over random operations', () => {
    const random = seeded(42);
    const reservations: readonly PortReservation[] = [
      { from: 30003, service: 'a', owner: 'o' },
      { from: 30100, to: 30163, service: 'b', owner: 'o' },
      { from: 30500, to: 30999, service: 'c', owner: 'o' },
    ];
    const a = new NodePortAllocator({ range: { base: 30000, size: 1200 }, reservations, random: seeded(43) });
    const model = new Set<number>();
    const isReserved = (p: number) => reservations.some((r) => p >= r.from && p <= (r.to ?? r.from));
    for (let step = 0; step < 20000; step++) {
      const op = random(3);
      const port = 30000 + random(1200);
      if (op === 0) {
        const freeBefore = 1200 - 565 - model.size;
        if (freeBefore === 0) {
          assert.equal(refusal(() => a.allocateNext()).failure, 'Full');
          continue;
        }
        const p = a.allocateNext();
        assert.ok(!model.has(p) && !isReserved(p));
        const upperHasRoom = Array.from({ length: 1200 - a.lowerBandSize }, (_, k) => 30000 + a.lowerBandSize + k).some((q) => !model.has(q) && !isReserved(q));
        if (upperHasRoom) assert.ok(p - 30000 >= a.lowerBandSize, 'the lower band is used only when the upper is full');
        model.add(p);
      } else if (op === 1) {
        const expected = isReserved(port) ? 'Reserved' : model.has(port) ? 'Allocated' : undefined;
        if (expected) assert.equal(refusal(() => a.allocate(port)).failure, expected);
        else {
          a.allocate(port);
          model.add(port);
        }
      } else {
        assert.equal(a.release(port), model.delete(port));
      }
      assert.equal(a.used, model.size);
    }
    assert.deepEqual(a.allocatedPorts(), [...model].sort((x, y) => x - y));
  });
});
