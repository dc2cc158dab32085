import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Cause } from '../platform/errors.ts';
import {
  MAX_IMPORT_CAUSES, checkReservation, chooseFreePort, parseCsv, parsePortSpan, parseReservationImport, parseServiceRef, portStrip,
  nodePortNeeds, settleAdmissionAllocations, type AdmissionAllocation, type NodePortNeed, type ServicePortsSpec, type Settlement, type UsedPort,
} from './ports.ts';

const range = { base: 30000, size: 2768 };
const small = { base: 30000, size: 100 };

function fields(text: string): unknown {
  const r = parseCsv(text);
  return Array.isArray(r) ? r.map((x) => [x.line, ...x.fields]) : r;
}

describe('parseCsv (RFC 4180)', () => {
  const cases: { name: string; text: string; want: unknown }[] = [
    { name: 'plain rows, LF', text: '30080,a,b\n30081,c\n', want: [[1, '30080', 'a', 'b'], [2, '30081', 'c']] },
    { name: 'CRLF and no final newline', text: '1,a\r\n2,b', want: [[1, '1', 'a'], [2, '2', 'b']] },
    { name: 'unquoted fields are trimmed, quoted ones kept', text: ' 1 , a ," b "\n', want: [[1, '1', 'a', ' b ']] },
    { name: 'commas, doubled quotes and line breaks inside quotes', text: '1,"a, b","say ""hi""\nthere"\n2,c\n', want: [[1, '1', 'a, b', 'say "hi"\nthere'], [3, '2', 'c']] },
    { name: 'blank lines are skipped but counted', text: '\n1,a\n\n2,b\n', want: [[2, '1', 'a'], [4, '2', 'b']] },
    { name: 'an empty quoted field', text: '1,a,""\n', want: [[1, '1', 'a', '']] },
    { name: 'unterminated quote names the line it opened on', text: '1,a\n2,"b\n3,c\n', want: { field: 'line 2', reason: 'FieldValueInvalid', message: 'a quoted field is not closed' } },
    { name: 'a quote inside an unquoted field', text: '1,a\n2,b"c\n', want: { field: 'line 2', reason: 'FieldValueInvalid', message: 'a double quote may only open a field, or be doubled inside a quoted field' } },
    { name: 'text after a closing quote', text: '1,"a"b\n', want: { field: 'line 1', reason: 'FieldValueInvalid', message: 'text after a closing double quote; expected a comma or the end of the line' } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(fields(c.text), c.want));
});

describe('parsePortSpan', () => {
  const cases: [string, unknown][] = [
    ['30080', { from: 30080, to: 30080 }],
    ['30080-30090', { from: 30080, to: 30090 }],
    ['30090-30080', 'the end port is before the start port'],
    ['0', 'ports must be within 1-65535'],
    ['65536', 'ports must be within 1-65535'],
    ['30080-', 'expected a port or a range of ports, as "30080" or "30080-30090"'],
    [' 30080', 'expected a port or a range of ports, as "30080" or "30080-30090"'],
    ['300800', 'expected a port or a range of ports, as "30080" or "30080-30090"'],
  ];
  for (const [text, want] of cases) it(JSON.stringify(text), () => assert.deepEqual(parsePortSpan(text), want));
});

describe('checkReservation', () => {
  it('accepts a span inside the range and defaults the note', () => {
    assert.deepEqual(checkReservation({ ports: '30080-30081', owner: 'ops' }, range), { from: 30080, to: 30081, owner: 'ops', note: '' });
  });
  it('names each bad field under the prefix', () => {
    const causes = checkReservation({ ports: '29999-30001', owner: '', note: 'a\nb' }, range, 'line 3') as Cause[];
    assert.deepEqual(causes.map((c) => c.field), ['line 3.ports', 'line 3.owner', 'line 3.note']);
    assert.match(causes[0].message, /outside the cluster's NodePort range 30000-32767/);
  });
  it('bounds owner and note', () => {
    const causes = checkReservation({ ports: '30080', owner: 'o'.repeat(257), note: 'n'.repeat(1025) }, range) as Cause[];
    assert.deepEqual(causes.map((c) => c.reason), ['FieldValueTooLong', 'FieldValueTooLong']);
  });
});

describe('parseReservationImport', () => {
  it('skips a header line and keeps input order', () => {
    const rows = parseReservationImport('csv', 'ports,owner,note\n30200,b\n30100-30101,a,x\n', range);
    assert.deepEqual(rows, [
      { from: 30200, to: 30200, owner: 'b', note: '', at: 'line 2' },
      { from: 30100, to: 30101, owner: 'a', note: 'x', at: 'line 3' },
    ]);
  });
  it('reports every bad line, in order, and overlaps between rows', () => {
    const causes = parseReservationImport('csv', '30100-30110,a\nnope\n30105,b\n30x,c\n', range) as Cause[];
    assert.deepEqual(causes.map((c) => c.field), ['line 2', 'line 3', 'line 4.ports']);
    assert.match(causes[1].message, /ports 30105 overlap ports 30100-30110 of line 1/);
    assert.match(causes[0].message, /expected "port\[-port\],owner\[,note\]", got 1 field$/);
  });
  it('reads JSON as a list, an items list, or a port map\'s reserved list, refusing unknown fields', () => {
    const want = [{ from: 30100, to: 30100, owner: 'a', note: '', at: '[0]' }];
    assert.deepEqual(parseReservationImport('json', '[{"ports":30100,"owner":"a"}]', range), want);
    assert.deepEqual(parseReservationImport('json', '{"items":[{"ports":"30100","owner":"a"}]}', range), want);
    assert.deepEqual(parseReservationImport('json', '{"reserved":[{"ports":"30100","owner":"a","cluster":"x","from":30100,"to":30100}]}', range), want);
    const causes = parseReservationImport('json', '[{"ports":"30100","owner":"a","own":"b"}, 5]', range) as Cause[];
    assert.deepEqual(causes.map((c) => c.field), ['[0].own', '[1]']);
    assert.match((parseReservationImport('json', '{', range) as Cause[])[0].message, /^not valid JSON/);
  });
  it('bounds the text, the rows and the causes it lists', () => {
    assert.match((parseReservationImport('csv', 'x'.repeat(512 * 1024 + 1), range) as Cause[])[0].message, /Too long/);
    assert.match((parseReservationImport('csv', '30100,a\n'.repeat(5001), range) as Cause[])[0].message, /more than 5000/);
    assert.equal((parseReservationImport('csv', 'bad\n'.repeat(100), range) as Cause[]).length, MAX_IMPORT_CAUSES);
  });
});

describe('parseServiceRef', () => {
  it('accepts namespace/name', () => assert.deepEqual(parseServiceRef('shop/web-1'), { namespace: 'shop', name: 'web-1' }));
  for (const bad of ['web', 'a/b/c', 'Shop/web', 'shop/1web', 'shop/', '/web']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.equal(typeof parseServiceRef(bad), 'string'));
  }
});

describe('chooseFreePort', () => {
  const fixed = (v: number) => (n: number) => v % n;
  it('starts in the upper band and scans past reserved and taken ports', () => {
    // Upper band of 30000-30099 is offsets 16..99; start at offset 16 + 4 = 30020.
    assert.equal(chooseFreePort(small, [{ from: 30020, to: 30030 }], [30031, 30033], fixed(4)), 30032);
  });
  it('falls back to the lower band only when the upper band is full', () => {
    assert.equal(chooseFreePort(small, [{ from: 30016, to: 30099 }], [30000], fixed(0)), 30001);
  });
  it('ignores what lies outside the range, clips spans that straddle it, and says when nothing is free', () => {
    assert.equal(chooseFreePort(small, [{ from: 29000, to: 30098 }, { from: 40000, to: 40001 }], [31000], fixed(0)), 30099);
    assert.throws(() => chooseFreePort(small, [{ from: 29000, to: 30098 }], [30099], fixed(0)), /range is full/);
  });
});

describe('portStrip', () => {
  it('covers the range with runs; reserved beats allocated beats used; a reserved port in use is a conflict', () => {
    assert.deepEqual(portStrip({ base: 30000, size: 10 }, [{ from: 30002, to: 30004 }, { from: 29990, to: 30000 }], [30005, 30006], [30004, 30006, 30008, 31000]), [
      { from: 30000, to: 30000, state: 'reserved' },
      { from: 30001, to: 30001, state: 'free' },
      { from: 30002, to: 30003, state: 'reserved' },
      { from: 30004, to: 30004, state: 'conflict' },
      { from: 30005, to: 30006, state: 'allocated' },
      { from: 30007, to: 30007, state: 'free' },
      { from: 30008, to: 30008, state: 'used' },
      { from: 30009, to: 30009, state: 'free' },
    ]);
  });
});

describe('settleAdmissionAllocations', () => {
  const now = new Date('2026-01-01T00:01:00Z');
  const before = '2026-01-01T00:00:59Z';
  const after = '2026-01-01T00:01:01Z';
  const web = { port: 30001, namespace: 'shop', service: 'web' };
  const cases: { name: string; allocations: AdmissionAllocation[]; used: UsedPort[]; want: Settlement }[] = [
    { name: 'a pending allocation whose Service holds the port binds', allocations: [{ port: 30001, service: 'shop/web', generateName: false, expiresAt: after }], used: [web], want: { bind: [{ port: 30001, service: 'shop/web' }], release: [] } },
    { name: 'a pending allocation binds even past its deadline when its Service holds the port', allocations: [{ port: 30001, service: 'shop/web', generateName: false, expiresAt: before }], used: [web], want: { bind: [{ port: 30001, service: 'shop/web' }], release: [] } },
    { name: 'a pending allocation not seen yet waits until its deadline', allocations: [{ port: 30001, service: 'shop/web', generateName: false, expiresAt: after }], used: [], want: { bind: [], release: [] } },
    { name: 'a pending allocation past its deadline is released', allocations: [{ port: 30001, service: 'shop/web', generateName: false, expiresAt: before }], used: [], want: { bind: [], release: [{ port: 30001, service: 'shop/web', why: 'expired' }] } },
    { name: 'a deadline equal to now has passed', allocations: [{ port: 30001, service: 'shop/web', generateName: false, expiresAt: now.toISOString() }], used: [], want: { bind: [], release: [{ port: 30001, service: 'shop/web', why: 'expired' }] } },
    { name: 'a bound allocation whose Service holds the port stays', allocations: [{ port: 30001, service: 'shop/web', generateName: false }], used: [web], want: { bind: [], release: [] } },
    { name: 'a bound allocation whose Service is gone is released', allocations: [{ port: 30001, service: 'shop/web', generateName: false }], used: [], want: { bind: [], release: [{ port: 30001, service: 'shop/web', why: 'gone' }] } },
    { name: 'a bound allocation whose port another Service holds is released', allocations: [{ port: 30001, service: 'shop/api', generateName: false }], used: [web], want: { bind: [], release: [{ port: 30001, service: 'shop/api', why: 'gone' }] } },
    { name: 'a pending allocation does not bind to another Service holding its port', allocations: [{ port: 30001, service: 'shop/api', generateName: false, expiresAt: after }], used: [web], want: { bind: [], release: [] } },
    { name: 'a generateName allocation binds to a Service of its namespace named from the prefix, under the final name', allocations: [{ port: 30002, service: 'shop/web-', generateName: true, expiresAt: after }], used: [{ port: 30002, namespace: 'shop', service: 'web-x7k2p' }], want: { bind: [{ port: 30002, service: 'shop/web-x7k2p' }], release: [] } },
    { name: 'a generateName allocation does not bind in another namespace', allocations: [{ port: 30002, service: 'shop/web-', generateName: true, expiresAt: before }], used: [{ port: 30002, namespace: 'other', service: 'web-x7k2p' }], want: { bind: [], release: [{ port: 30002, service: 'shop/web-', why: 'expired' }] } },
    { name: 'a generateName allocation does not bind to a name without its prefix', allocations: [{ port: 30002, service: 'shop/web-', generateName: true, expiresAt: after }], used: [{ port: 30002, namespace: 'shop', service: 'api-x7k2p' }], want: { bind: [], release: [] } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(settleAdmissionAllocations(c.allocations, c.used, now), c.want));
});

describe('nodePortNeeds', () => {
  const np = (...ports: object[]): ServicePortsSpec => ({ type: 'NodePort', ports });
  const cases: { name: string; spec: ServicePortsSpec; old?: ServicePortsSpec; want: NodePortNeed[]; released?: number[] }[] = [
    { name: 'a created NodePort Service: empty ports are chosen, explicit ones asked for', spec: np({ port: 80 }, { port: 81, nodePort: 30050 }), want: ['choose', 30050] },
    { name: 'a ClusterIP Service needs nothing', spec: { type: 'ClusterIP', ports: [{ port: 80 }] }, want: ['keep'] },
    { name: 'a LoadBalancer that opts out of node ports needs nothing', spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }, want: ['keep'] },
    { name: 'a LoadBalancer gets node ports', spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, want: ['choose'] },
    { name: 'a ClusterIP Service retyped to NodePort needs a port', spec: np({ port: 80 }), old: { type: 'ClusterIP', ports: [{ port: 80 }] }, want: ['choose'] },
    { name: 'a ClusterIP Service retyped with an explicit port asks for it', spec: np({ port: 80, nodePort: 30500 }), old: { type: 'ClusterIP', ports: [{ port: 80 }] }, want: [30500] },
    { name: 'an update keeping the held port needs nothing', spec: np({ port: 80, nodePort: 30050 }), old: np({ port: 80, nodePort: 30050 }), want: ['keep'] },
    { name: 'an update without nodePorts keeps what the API server carries over by name', spec: np({ name: 'http', port: 80 }), old: np({ name: 'http', port: 80, nodePort: 30050 }), want: ['keep'] },
    { name: 'an unnamed port is carried over too', spec: np({ port: 8080 }), old: np({ port: 80, nodePort: 30050 }), want: ['keep'] },
    { name: 'a port added beside a held one needs a port', spec: np({ name: 'http', port: 80, nodePort: 30050 }, { name: 'https', port: 443 }), old: np({ name: 'http', port: 80, nodePort: 30050 }), want: ['keep', 'choose'] },
    { name: 'an explicit port changed asks for the new one', spec: np({ port: 80, nodePort: 30060 }), old: np({ port: 80, nodePort: 30050 }), want: [30060], released: [30050] },
    { name: 'a held port moved to another port of the Service is still held', spec: np({ name: 'a', port: 80 }, { name: 'b', port: 81, nodePort: 30050 }), old: np({ name: 'a', port: 80, nodePort: 30050 }), want: ['choose', 'keep'] },
    { name: 'a port removed gives its node port up', spec: np({ name: 'a', port: 80 }), old: np({ name: 'a', port: 80, nodePort: 30050 }, { name: 'b', port: 81, nodePort: 30051 }), want: ['keep'], released: [30051] },
    { name: 'nothing is carried over from a Service that did not want node ports', spec: np({ port: 80 }), old: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, nodePort: 30050 }] }, want: ['choose'], released: [30050] },
    { name: 'a NodePort Service retyped to ClusterIP needs nothing', spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30050 }] }, old: np({ port: 80, nodePort: 30050 }), want: ['keep'], released: [30050] },
    { name: 'ports that are not objects are empty ports', spec: { type: 'NodePort', ports: [null, 7] }, want: ['choose', 'choose'] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(nodePortNeeds(c.spec, c.old), { needs: c.want, released: c.released ?? [] }));
});
