// Kubernetes resource.Quantity (k8s.io/apimachinery/pkg/api/resource) with the same parsing,
// rounding, comparison and canonical formatting. Values are kept as a BigInt count of
// nano-units: the API rounds every parsed value up to 1e-9, so that is exact, and no floating
// point ever touches a quantity.

/** The three notations a quantity can be written and printed in. */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/**
 * An immutable quantity. `nanos` is the value times 10^9. `text` is the string the API server
 * would echo back: the input itself when upstream's parser deems it canonical, otherwise absent
 * (then {@link formatQuantity} computes the canonical form).
 */
export interface Quantity {
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  readonly text?: string;
}

/** Thrown for a string that is not a quantity; the message quotes the string. */
export class QuantityError extends Error {
  readonly input: string;
  constructor(input: string, reason: string) {
    super(`quantity "${input}" is invalid: ${reason}`);
    this.name = 'QuantityError';
    this.input = input;
  }
}

/** The upstream error texts, so that messages read as kube-apiserver's. */
export const quantityErrors = {
  formatWrong: "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  numeric: 'unable to parse numeric part of quantity',
  suffix: "unable to parse quantity's suffix",
} as const;

const NANO = 1_000_000_000n;
const MILLI_NANOS = 1_000_000n;
const INT64_MAX = 9_223_372_036_854_775_807n;
/** resource.MaxMilliValue: the largest value whose milli-value still fits an int64. */
export const MAX_MILLI_VALUE = INT64_MAX / 1000n;
// Exponents are int32 upstream; beyond this a BigInt of 10^e would only be a way to exhaust memory.
const MAX_EXPONENT = 1000;

const ZERO: Quantity = { nanos: 0n, format: 'DecimalSI' };

interface SuffixMeaning {
  readonly base: 2 | 10;
  readonly exponent: number;
  readonly format: QuantityFormat;
}

const suffixes: ReadonlyMap<string, SuffixMeaning> = new Map<string, SuffixMeaning>([
  ['', { base: 10, exponent: 0, format: 'DecimalSI' }],
  ['n', { base: 10, exponent: -9, format: 'DecimalSI' }],
  ['u', { base: 10, exponent: -6, format: 'DecimalSI' }],
  ['m', { base: 10, exponent: -3, format: 'DecimalSI' }],
  ['k', { base: 10, exponent: 3, format: 'DecimalSI' }],
  ['M', { base: 10, exponent: 6, format: 'DecimalSI' }],
  ['G', { base: 10, exponent: 9, format: 'DecimalSI' }],
  ['T', { base: 10, exponent: 12, format: 'DecimalSI' }],
  ['P', { base: 10, exponent: 15, format: 'DecimalSI' }],
  ['E', { base: 10, exponent: 18, format: 'DecimalSI' }],
  ['Ki', { base: 2, exponent: 10, format: 'BinarySI' }],
  ['Mi', { base: 2, exponent: 20, format: 'BinarySI' }],
  ['Gi', { base: 2, exponent: 30, format: 'BinarySI' }],
  ['Ti', { base: 2, exponent: 40, format: 'BinarySI' }],
  ['Pi', { base: 2, exponent: 50, format: 'BinarySI' }],
  ['Ei', { base: 2, exponent: 60, format: 'BinarySI' }],
]);

const decimalSuffixByExponent: ReadonlyMap<number, string> = new Map([
  [-9, 'n'], [-6, 'u'], [-3, 'm'], [0, ''], [3, 'k'], [6, 'M'], [9, 'G'], [12, 'T'], [15, 'P'], [18, 'E'],
]);
const binarySuffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

const SUFFIX_CHARS = 'eEinumkKMGTP';

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function interpretSuffix(suffix: string): SuffixMeaning | undefined {
  const known = suffixes.get(suffix);
  if (known) return known;
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    // strconv.ParseInt accepts an optional sign followed by decimal digits only.
    const digits = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(digits)) return undefined;
    const exponent = Number.parseInt(digits, 10);
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  return undefined;
}

/** 10^0 … 10^40 (the range of parsed quantities' scales), computed once. */
const POW10: readonly bigint[] = Array.from({ length: 41 }, (_, i) => 10n ** BigInt(i));

function pow10(n: number): bigint {
  return POW10[n] ?? 10n ** BigInt(n);
}

/** Divides rounding away from zero, as inf.RoundUp does on the magnitude. */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  if (a === 0n) return 0n;
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

/**
 * Quantities parsed lately, by their text: objects carry the same few ("100m", "128Mi") over
 * and over, and every admission decodes them again. Bounded in entries and key length, and
 * emptied when full, so that no input can grow it.
 */
const parsed = new Map<string, Quantity>();
const PARSED_MAX_ENTRIES = 1024;
const PARSED_MAX_KEY = 40;

/**
 * Parses a quantity exactly as resource.ParseQuantity does, including its leniencies
 * ("1.", ".5", "1.G") and its rounding of non-zero values up to 1n.
 * @throws QuantityError quoting the input when it is not a quantity.
 */
export function parseQuantity(str: string): Quantity {
  const known = parsed.get(str);
  if (known !== undefined) return known;
  const q = parseQuantityText(str);
  if (str.length <= PARSED_MAX_KEY) {
    if (parsed.size >= PARSED_MAX_ENTRIES) parsed.clear();
    parsed.set(str, q);
  }
  return q;
}

function parseQuantityText(str: string): Quantity {
  if (str.length === 0) throw new QuantityError(str, quantityErrors.formatWrong);
  if (str === '0') return { nanos: 0n, format: 'DecimalSI', text: '0' };

  const end = str.length;
  let pos = 0;
  let positive = true;
  const first = str.charCodeAt(0);
  if (first === 45 /* - */) {
    positive = false;
    pos++;
  } else if (first === 43 /* + */) {
    pos++;
  }
  while (pos < end && str.charCodeAt(pos) === 48) pos++;
  let num: string;
  let denom = '';
  let suffix = '';
  if (pos >= end) {
    num = '0';
  } else {
    const numStart = pos;
    while (pos < end && isDigit(str.charCodeAt(pos))) pos++;
    num = pos > numStart ? str.slice(numStart, pos) : '0';
    if (pos < end && str.charCodeAt(pos) === 46 /* . */) {
      pos++;
      const denomStart = pos;
      while (pos < end && isDigit(str.charCodeAt(pos))) pos++;
      denom = str.slice(denomStart, pos);
    }
    const suffixStart = pos;
    while (pos < end && SUFFIX_CHARS.includes(str[pos])) pos++;
    if (pos < end) {
      const c = str.charCodeAt(pos);
      if (c === 45 || c === 43) pos++;
      while (pos < end && isDigit(str.charCodeAt(pos))) pos++;
      if (pos < end) throw new QuantityError(str, quantityErrors.formatWrong);
    }
    suffix = str.slice(suffixStart, end);
  }

  const meaning = interpretSuffix(suffix);
  if (!meaning) throw new QuantityError(str, quantityErrors.suffix);
  if (Math.abs(meaning.exponent) > MAX_EXPONENT) {
    throw new QuantityError(str, `exponent ${meaning.exponent} is out of range`);
  }
  let format = meaning.format;
  const digits = BigInt(num + denom);

  let magnitude: bigint;
  let keepText = false;
  if (meaning.base === 10) {
    const scale = meaning.exponent - denom.length;
    magnitude = scale + 9 >= 0 ? digits * pow10(scale + 9) : divAwayFromZero(digits, pow10(-(scale + 9)));
    // Upstream keeps the input string only on its int64 fast path and only when it looks canonical.
    const precision = 18 - (num.length + denom.length);
    const shifted = num + denom;
    keepText = precision >= 0 && scale >= -9 && scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
  } else {
    const scaled = digits * (1n << BigInt(meaning.exponent));
    magnitude = divAwayFromZero(scaled * NANO, pow10(denom.length));
    if (denom.length === 0) {
      const precision = 15 - num.length - Math.trunc((meaning.exponent * 3) / 10) - 1;
      keepText = precision >= 0 && scaled <= INT64_MAX && meaning.exponent % 10 === 0 && (digits & 7n) !== 0n;
    }
    if (magnitude > INT64_MAX * NANO) magnitude = INT64_MAX * NANO;
    if (magnitude > 0n && magnitude < NANO) format = 'DecimalSI';
  }
  const nanos = positive ? magnitude : -magnitude;
  return keepText ? { nanos, format, text: str } : { nanos, format };
}

/**
 * Parses a value as the API decodes a Quantity field from JSON: strings (trimmed) and numbers.
 * @throws QuantityError for anything else or an invalid string.
 */
export function quantityFromJson(value: unknown): Quantity {
  if (typeof value === 'string') return parseQuantity(value.trim());
  if (typeof value === 'number' && Number.isFinite(value)) return parseQuantity(String(value));
  if (typeof value === 'bigint') return parseQuantity(value.toString());
  throw new QuantityError(String(value), quantityErrors.formatWrong);
}

function trailingZeros(s: string): number {
  let n = 0;
  for (let i = s.length - 1; i > 0 && s.charCodeAt(i) === 48; i--) n++;
  return n;
}

function formatDecimal(abs: bigint, format: QuantityFormat): string {
  let mantissa = abs.toString();
  const zeros = trailingZeros(mantissa);
  mantissa = mantissa.slice(0, mantissa.length - zeros);
  let exponent = zeros - 9;
  const adjust = ((exponent % 3) + 3) % 3;
  if (adjust > 0) {
    mantissa += '0'.repeat(adjust);
    exponent -= adjust;
  }
  if (format === 'DecimalExponent') return exponent === 0 ? mantissa : `${mantissa}e${exponent}`;
  // Upstream has no suffix past E and then prints the bare mantissa; kept for fidelity.
  return mantissa + (decimalSuffixByExponent.get(exponent) ?? '');
}

function formatBinary(abs: bigint): string | undefined {
  if (abs < 1024n * NANO || abs % NANO !== 0n) return undefined;
  let units = abs / NANO;
  let power = 0;
  while (power < binarySuffixes.length - 1 && units % 1024n === 0n) {
    units /= 1024n;
    power++;
  }
  return units.toString() + binarySuffixes[power];
}

/**
 * The string kube-apiserver prints for a quantity (Quantity.String): the kept input when there is
 * one, else the canonical form in the quantity's format family. BinarySI values below 1024 or
 * with a fractional part print as DecimalSI.
 */
export function formatQuantity(q: Quantity): string {
  if (q.text !== undefined) return q.text;
  if (q.nanos === 0n) return '0';
  const negative = q.nanos < 0n;
  const abs = negative ? -q.nanos : q.nanos;
  const body = (q.format === 'BinarySI' ? formatBinary(abs) : undefined)
    ?? formatDecimal(abs, q.format === 'DecimalExponent' ? 'DecimalExponent' : 'DecimalSI');
  return negative ? `-${body}` : body;
}

/** -1, 0 or 1 as a is less than, equal to or greater than b (Quantity.Cmp). */
export function compareQuantities(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

/** a + b; a zero `a` takes b's format, as Quantity.Add does. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** a - b; a zero `a` takes b's format, as Quantity.Sub does. */
export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos - b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** q × factor for an integer factor (Quantity.Mul). @throws RangeError for a non-integer factor. */
export function multiplyQuantity(q: Quantity, factor: number | bigint): Quantity {
  if (typeof factor === 'number' && !Number.isInteger(factor)) throw new RangeError(`factor ${factor} is not an integer`);
  return { nanos: q.nanos * BigInt(factor), format: q.format };
}

/** A quantity of `value` whole units in the given format (resource.NewQuantity). */
export function newQuantity(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nanos: BigInt(value) * NANO, format };
}

/** A quantity of `value` thousandths (resource.NewMilliQuantity). */
export function newMilliQuantity(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return { nanos: BigInt(value) * MILLI_NANOS, format };
}

/** The zero quantity in DecimalSI, the starting point of every sum. */
export function zeroQuantity(): Quantity {
  return ZERO;
}

/** Value(): the value rounded up, away from zero, to a whole unit. */
export function quantityValue(q: Quantity): bigint {
  return divAwayFromZero(q.nanos, NANO);
}

/** MilliValue(): ceil(q × 1000), away from zero, so 0.1m gives 1. */
export function quantityMilliValue(q: Quantity): bigint {
  return divAwayFromZero(q.nanos, MILLI_NANOS);
}

/** RoundUp(0): the value rounded up to a whole unit; an already whole value is returned as is. */
export function roundUpToUnit(q: Quantity): Quantity {
  if (q.nanos % NANO === 0n) return q;
  return { nanos: divAwayFromZero(q.nanos, NANO) * NANO, format: q.format };
}

/**
 * RoundUp(-3): the value rounded up, away from zero, to a whole milli-unit; a value that is
 * already whole keeps its text (a kept text never has sub-milli digits unless the value does).
 */
export function roundUpToMilli(q: Quantity): Quantity {
  if (q.nanos % MILLI_NANOS === 0n) return q;
  return { nanos: divAwayFromZero(q.nanos, MILLI_NANOS) * MILLI_NANOS, format: q.format };
}

/** True when the value is zero. */
export function isZeroQuantity(q: Quantity): boolean {
  return q.nanos === 0n;
}
