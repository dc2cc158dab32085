import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addQuantities, compareQuantities, formatQuantity, multiplyQuantity, newMilliQuantity, newQuantity, parseQuantity,
  QuantityError, quantityFromJson, quantityMilliValue, quantityValue, roundUpToMilli, roundUpToUnit, subtractQuantities, zeroQuantity,
} from './quantity.ts';

const N = 1_000_000_000n;

describe('parseQuantity values (nano-units) and formats', () => {
  const cases: ReadonlyArray<readonly [string, bigint, string]> = [
    ['0', 0n, 'DecimalSI'],
    ['0Ki', 0n, 'BinarySI'],
    ['0m', 0n, 'DecimalSI'],
    ['1', N, 'DecimalSI'],
    ['1Ki', 1024n * N, 'BinarySI'],
    ['3Ei', 3n * 2n ** 60n * N, 'BinarySI'],
    ['5n', 5n, 'DecimalSI'],
    ['4u', 4000n, 'DecimalSI'],
    ['3m', 3_000_000n, 'DecimalSI'],
    ['50k', 50_000n * N, 'DecimalSI'],
    ['1E', 10n ** 18n * N, 'DecimalSI'],
    ['1E-3', 1_000_000n, 'DecimalExponent'],
    ['1e3', 1000n * N, 'DecimalExponent'],
    ['1.3E+6', 1_300_000n * N, 'DecimalExponent'],
    ['100.035k', 100_035n * N, 'DecimalSI'],
    ['0.0005k', 500_000_000n, 'DecimalSI'],
    ['0.5e-2', 5_000_000n, 'DecimalExponent'],
    ['6.987654321G', 6_987_654_321n * N, 'DecimalSI'],
    ['rounds up 3.001n', 4n, 'DecimalSI'],
    ['rounds up 0.9n', 1n, 'DecimalSI'],
    ['rounds up 0.00000012345', 124n, 'DecimalSI'],
    ['rounds up 1.1E-9', 2n, 'DecimalExponent'],
    ['caps at int64 max 9Ei', 9_223_372_036_854_775_807n * N, 'BinarySI'],
    ['fraction 100.035Ki', 102_435_840_000_000n, 'BinarySI'],
    ['fraction 0.5Mi', 524_288n * N, 'BinarySI'],
    ['tiny binary turns decimal 0.000000000001Ki', 2n, 'DecimalSI'],
    ['lenient .001', 1_000_000n, 'DecimalSI'],
    ['lenient 1.', N, 'DecimalSI'],
    ['lenient 1.G', 10n ** 9n * N, 'DecimalSI'],
    ['signed -1500m', -1_500_000_000n, 'DecimalSI'],
    ['signed +2Ki', 2048n * N, 'BinarySI'],
    ['leading zeros 007', 7n * N, 'DecimalSI'],
  ];
  for (const [name, nanos, format] of cases) {
    const input = name.includes(' ') ? name.slice(name.lastIndexOf(' ') + 1) : name;
    it(name, () => {
      const q = parseQuantity(input);
      assert.equal(q.nanos, nanos);
      assert.equal(q.format, format);
    });
  }
});

describe('parseQuantity rejects what upstream rejects, quoting the input', () => {
  const invalid = ['', '1.1.M', '1+1.0M', '0.1mi', '0.1am', 'aoeu', '.5i', '1i', '-3.01i', '-3.01e-', ' 1', '1 ', '1e', '1k3', '1ee3', '5 Gi'];
  for (const input of invalid) {
    it(JSON.stringify(input), () => {
      assert.throws(() => parseQuantity(input), (err: unknown) => {
        assert.ok(err instanceof QuantityError);
        assert.ok(err.message.includes(`"${input}"`), err.message);
        return true;
      });
    });
  }
});

describe('formatQuantity (Quantity.String) as kube-apiserver prints', () => {
  const cases: ReadonlyArray<readonly [string, string]> = [
    ['1.5', '1500m'],
    ['1.5Gi', '1536Mi'],
    ['0.1m', '100u'],
    ['1000m', '1'],
    ['1024Mi', '1Gi'],
    ['1000M', '1G'],
    ['0.5Mi', '512Ki'],
    ['.001Ki', '1024m'],
    ['.000001Ki', '1024u'],
    ['.000000000001Ki', '2n'],
    ['1.1Ki', '1126400m'],
    ['1025Ki', '1025Ki'],
    ['1048576', '1048576'],
    ['1e14', '100e12'],
    ['1e3', '1e3'],
    ['1000e0', '1e3'],
    ['0.001e0', '1e-3'],
    ['1080000000n', '1080m'],
    ['10800000u', '10800m'],
    ['300Mi', '300Mi'],
    ['307200Ki', '300Mi'],
    ['999999999999999999.1', '999999999999999999100m'],
    ['1000000000000000000', '1E'],
    ['-1.5', '-1500m'],
    ['-1024Mi', '-1Gi'],
    ['0Gi', '0'],
    ['0.0', '0'],
    // Upstream echoes inputs that pass its fast-path canonical test, even unusual ones.
    ['100.035k', '100.035k'],
    ['+1500m', '+1500m'],
    ['01', '01'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} -> ${expected}`, () => assert.equal(formatQuantity(parseQuantity(input)), expected));
  }
  it('formats of computed values: BinarySI below 1024 prints decimal', () => {
    assert.equal(formatQuantity(newQuantity(5, 'BinarySI')), '5');
    assert.equal(formatQuantity(newMilliQuantity(500, 'BinarySI')), '500m');
    assert.equal(formatQuantity(newQuantity(1025, 'BinarySI')), '1025');
    assert.equal(formatQuantity(newQuantity(1234567, 'DecimalExponent')), '1234567');
  });
});

describe('arithmetic', () => {
  it('add keeps the first format unless the first is zero', () => {
    const sum = addQuantities(parseQuantity('1Gi'), parseQuantity('512Mi'));
    assert.equal(formatQuantity(sum), '1536Mi');
    assert.equal(addQuantities(zeroQuantity(), parseQuantity('1Gi')).format, 'BinarySI');
    assert.equal(formatQuantity(addQuantities(parseQuantity('500m'), parseQuantity('1Gi'))), '1073741824500m');
  });
  it('add drops the kept input text', () => {
    assert.equal(formatQuantity(addQuantities(parseQuantity('100.035k'), zeroQuantity())), '100035');
  });
  it('subtract', () => {
    assert.equal(formatQuantity(subtractQuantities(parseQuantity('2'), parseQuantity('500m'))), '1500m');
    assert.equal(formatQuantity(subtractQuantities(parseQuantity('1'), parseQuantity('3'))), '-2');
  });
  it('multiply by an integer', () => {
    assert.equal(formatQuantity(multiplyQuantity(parseQuantity('250m'), 4)), '1');
    assert.equal(formatQuantity(multiplyQuantity(parseQuantity('1Gi'), 3n)), '3Gi');
    assert.throws(() => multiplyQuantity(parseQuantity('1'), 1.5), RangeError);
  });
  it('compare across formats', () => {
    assert.equal(compareQuantities(parseQuantity('1Ki'), parseQuantity('1k')), 1);
    assert.equal(compareQuantities(parseQuantity('1000m'), parseQuantity('1')), 0);
    assert.equal(compareQuantities(parseQuantity('999m'), parseQuantity('1')), -1);
  });
  it('milli-value and value round up, away from zero', () => {
    assert.equal(quantityMilliValue(parseQuantity('0.1m')), 1n);
    assert.equal(quantityMilliValue(parseQuantity('1.5')), 1500n);
    assert.equal(quantityValue(parseQuantity('1001m')), 2n);
    assert.equal(quantityValue(parseQuantity('-1001m')), -2n);
    assert.equal(quantityMilliValue(parseQuantity('1Gi')), 1073741824000n);
  });
  it('roundUpToMilli (SetDefaults_ResourceList) rounds sub-milli values up and keeps whole milli-values with their text', () => {
    const kept = parseQuantity('2e9');
    assert.equal(roundUpToMilli(kept), kept);
    assert.equal(formatQuantity(roundUpToMilli(parseQuantity('100500u'))), '101m');
    assert.equal(formatQuantity(roundUpToMilli(parseQuantity('0.1m'))), '1m');
    assert.equal(formatQuantity(roundUpToMilli(parseQuantity('-1500u'))), '-2m');
  });
  it('roundUpToUnit keeps whole values and their text', () => {
    const whole = parseQuantity('10Gi');
    assert.equal(roundUpToUnit(whole), whole);
    assert.equal(formatQuantity(roundUpToUnit(parseQuantity('1500m'))), '2');
  });
});

describe('quantityFromJson', () => {
  it('accepts numbers and trims strings as UnmarshalJSON does', () => {
    assert.equal(formatQuantity(quantityFromJson(0.5)), '500m');
    assert.equal(formatQuantity(quantityFromJson(2)), '2');
    assert.equal(formatQuantity(quantityFromJson(' 1Gi ')), '1Gi');
    assert.equal(quantityFromJson(1e21).nanos, 10n ** 21n * N);
  });
  it('rejects other JSON values', () => {
    assert.throws(() => quantityFromJson(true), QuantityError);
    assert.throws(() => quantityFromJson({}), QuantityError);
  });
});
