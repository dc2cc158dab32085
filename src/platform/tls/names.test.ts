import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ipBytes, ipText, isDnsName, mergeSubjectAltNames, parseSubjectAltNames } from './names.ts';

describe('subject alternative names from configuration text', () => {
  const cases: readonly { list: string; dns: string[]; ips: string[] }[] = [
    { list: '', dns: [], ips: [] },
    { list: 'berth.example', dns: ['berth.example'], ips: [] },
    { list: ' Berth.Example , 10.0.0.5,,localhost ', dns: ['berth.example', 'localhost'], ips: ['10.0.0.5'] },
    { list: '::1,0:0:0:0:0:0:0:1,[::1]', dns: [], ips: ['::1'] },
    { list: 'fd00::10:1, FD00:0:0:0:0:0:10:1', dns: [], ips: ['fd00::10:1'] },
    { list: '::ffff:10.1.2.3', dns: [], ips: ['::ffff:a01:203'] },
    { list: 'a.b,a.b,127.0.0.1,127.0.0.1', dns: ['a.b'], ips: ['127.0.0.1'] },
  ];
  for (const c of cases) {
    it(`"${c.list}"`, () => assert.deepEqual(parseSubjectAltNames(c.list), { dns: c.dns, ips: c.ips }));
  }
  for (const bad of ['under_score.example', '-lead.example', 'a..b', '10.0.0.0/8', 'host:9443', '1::2::3', 'x'.repeat(64)]) {
    it(`refuses "${bad}", naming it`, () => assert.throws(() => parseSubjectAltNames(bad), new RegExp(`"${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" is neither`)));
  }
});

describe('IP literals as X.509 stores them', () => {
  const cases: readonly [string, number[] | undefined][] = [
    ['127.0.0.1', [127, 0, 0, 1]],
    ['0.0.0.0', [0, 0, 0, 0]],
    ['01.2.3.4', undefined],
    ['1.2.3', undefined],
    ['1.2.3.256', undefined],
    ['::', new Array(16).fill(0)],
    ['::1', [...new Array(15).fill(0), 1]],
    ['1::', [0, 1, ...new Array(14).fill(0)]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4:5:6:7::8', undefined],
    ['12345::', undefined],
    ['berth.example', undefined],
  ];
  for (const [text, bytes] of cases) {
    it(text, () => assert.deepEqual(ipBytes(text) === undefined ? undefined : [...ipBytes(text)!], bytes));
  }
  it('prints IPv6 in RFC 5952 form: the longest zero run compressed, the first of equal runs', () => {
    assert.equal(ipText(ipBytes('2001:db8:0:0:1:0:0:1')!), '2001:db8::1:0:0:1');
    assert.equal(ipText(ipBytes('2001:0:0:1:0:0:0:1')!), '2001:0:0:1::1');
    assert.equal(ipText(ipBytes('2001:db8:0:1:1:1:1:1')!), '2001:db8:0:1:1:1:1:1');
  });
  it('knows DNS names and merges sets keeping the first one\'s order', () => {
    assert.equal(isDnsName('a-b.c'), true);
    assert.equal(isDnsName('A.c'), false);
    assert.deepEqual(mergeSubjectAltNames({ dns: ['b'], ips: ['1.1.1.1'] }, { dns: ['a', 'b'], ips: ['1.1.1.1', '::1'] }), { dns: ['b', 'a'], ips: ['1.1.1.1', '::1'] });
  });
});
