// A cluster's NodePort map, as Berth keeps it: legacy business ports reserved with an owner, ports
// allocated to tenants, and ports live Services use. Pure: parsing and validation of reservations
// (one, or a CSV/JSON import checked whole before anything is written), the choice of a free port
// (the compute core's allocator, with its bands), and the map as lists and as a strip of runs.
import { NodePortAllocator, formatPortRange, type PortRange, type RandomInt } from '../compute/index.ts';
import type { Cause } from '../platform/errors.ts';

/** Longest reservation owner, in characters. */
export const MAX_OWNER = 256;
/** Longest reservation note, in characters. */
export const MAX_NOTE = 1024;
/** Largest import, in characters of CSV or JSON text. */
export const MAX_IMPORT_CHARS = 512 * 1024;
/** Most reservations one import may hold. */
export const MAX_IMPORT_ROWS = 5000;
/** Most causes a refused import lists (the first ones, in input order). */
export const MAX_IMPORT_CAUSES = 20;

/** An inclusive span of ports, `from` to `to`. */
export interface PortSpan {
  readonly from: number;
  readonly to: number;
}

/** A reservation as asked for: `ports` is `"30080"` or `"30080-30090"`. */
export interface ReservationInput {
  readonly ports: string;
  readonly owner: string;
  readonly note?: string;
}

/** A checked reservation: its span, owner and note (`''` for none). */
export interface ReservationSpec extends PortSpan {
  readonly owner: string;
  readonly note: string;
}

/** A reservation parsed from an import, with where it came from (`line 7` or `[3]`). */
export interface ImportedReservation extends ReservationSpec {
  readonly at: string;
  /**
   * Set for a port just seen used on the live cluster: the Service (`namespace/name`) using it.
   * That use is then no conflict, and a reservation of the same ports and owner is this one
   * whatever its note (the note records when it was first imported).
   */
  readonly service?: string;
}

/** A port a live Service uses, as the watchers report it. */
export interface UsedPort {
  readonly port: number;
  readonly namespace: string;
  readonly service: string;
}

/** A Service named `namespace/name`. */
export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

/** The state of one port in the map; `conflict` is a reserved port a live Service uses. */
export type PortState = 'free' | 'used' | 'reserved' | 'allocated' | 'conflict';

/** Consecutive ports in one state. */
export interface StripRun extends PortSpan {
  readonly state: PortState;
}

/** `30080` or `30080-30090`, as reservations are written. */
export function formatPortSpan(span: PortSpan): string {
  return span.from === span.to ? `${span.from}` : `${span.from}-${span.to}`;
}

/** Parses `PORT` or `PORT-PORT` (1-65535, not inverted); returns the reason as a string when it is not one. */
export function parsePortSpan(text: string): PortSpan | string {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return 'expected a port or a range of ports, as "30080" or "30080-30090"';
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535) return 'ports must be within 1-65535';
  if (to < from) return 'the end port is before the start port';
  return { from, to };
}

const controlCharacters = /[\u0000-\u001f\u007f]/;

function textCauses(field: string, value: unknown, max: number, required: boolean): Cause[] {
  if (value === undefined || value === '') {
    return required ? [{ field, reason: 'FieldValueRequired', message: 'Required value' }] : [];
  }
  if (typeof value !== 'string') return [{ field, reason: 'FieldValueInvalid', message: 'must be a string' }];
  if (value.length > max) return [{ field, reason: 'FieldValueTooLong', message: `Too long: may not be more than ${max} characters` }];
  if (controlCharacters.test(value)) return [{ field, reason: 'FieldValueInvalid', message: 'may not contain control characters (line breaks, tabs …)' }];
  return [];
}

/**
 * Checks one reservation against the cluster's NodePort range; `prefix` names where it came from
 * in the causes (`''` for a request body). Returns the spec, or the causes when it is not valid.
 */
export function checkReservation(input: { readonly ports?: unknown; readonly owner?: unknown; readonly note?: unknown }, range: PortRange, prefix = ''): ReservationSpec | Cause[] {
  const at = (f: string) => (prefix ? `${prefix}.${f}` : f);
  const causes: Cause[] = [];
  const portsText = typeof input.ports === 'number' ? String(input.ports) : input.ports;
  let span: PortSpan | undefined;
  if (portsText === undefined || portsText === '') causes.push({ field: at('ports'), reason: 'FieldValueRequired', message: 'Required value' });
  else if (typeof portsText !== 'string') causes.push({ field: at('ports'), reason: 'FieldValueInvalid', message: 'must be a string such as "30080" or "30080-30090"' });
  else {
    const parsed = parsePortSpan(portsText);
    if (typeof parsed === 'string') causes.push({ field: at('ports'), reason: 'FieldValueInvalid', message: `Invalid value: "${portsText}": ${parsed}` });
    else if (parsed.from < range.base || parsed.to > range.base + range.size - 1) {
      causes.push({ field: at('ports'), reason: 'FieldValueInvalid', message: `Invalid value: "${portsText}": outside the cluster's NodePort range ${formatPortRange(range)}` });
    } else span = parsed;
  }
  causes.push(...textCauses(at('owner'), input.owner, MAX_OWNER, true), ...textCauses(at('note'), input.note, MAX_NOTE, false));
  if (causes.length || !span) return causes;
  return { ...span, owner: input.owner as string, note: (input.note as string | undefined) ?? '' };
}

/** One CSV record and the line it starts on (1-based). */
interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

/**
 * Splits RFC 4180 CSV: fields separated by commas, records by CRLF or LF; a field in double
 * quotes may hold commas, line breaks and doubled quotes. Unquoted fields are trimmed. Returns
 * the records, or the first syntax error with its line.
 */
export function parseCsv(text: string): CsvRecord[] | Cause {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endField = () => {
    fields.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    if (fields.length > 1 || fields[0] !== '') records.push({ line: recordLine, fields });
    fields = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      if (c === '\n') line++;
      field += c;
      i++;
      continue;
    }
    if (c === '"') {
      if (wasQuoted || field.trim() !== '') return { field: `line ${line}`, reason: 'FieldValueInvalid', message: 'a double quote may only open a field, or be doubled inside a quoted field' };
      quoted = true;
      wasQuoted = true;
      field = '';
      i++;
      continue;
    }
    if (c === ',') { endField(); i++; continue; }
    if (c === '\r' && text[i + 1] === '\n') i++;
    if (c === '\n' || c === '\r') {
      endRecord();
      line++;
      recordLine = line;
      i++;
      continue;
    }
    if (wasQuoted && c !== ' ' && c !== '\t') return { field: `line ${line}`, reason: 'FieldValueInvalid', message: 'text after a closing double quote; expected a comma or the end of the line' };
    if (!wasQuoted) field += c;
    i++;
  }
  if (quoted) return { field: `line ${recordLine}`, reason: 'FieldValueInvalid', message: 'a quoted field is not closed' };
  endRecord();
  return records;
}

const headerNames = new Set(['port', 'ports']);

function csvReservations(text: string): { rows: { at: string; input: ReservationInput | Record<string, unknown> }[]; causes: Cause[] } {
  const records = parseCsv(text);
  if (!Array.isArray(records)) return { rows: [], causes: [records] };
  const rows: { at: string; input: Record<string, unknown> }[] = [];
  const causes: Cause[] = [];
  records.forEach((r, k) => {
    if (k === 0 && headerNames.has(r.fields[0].toLowerCase())) return;
    if (r.fields.length < 2 || r.fields.length > 3) {
      causes.push({ field: `line ${r.line}`, reason: 'FieldValueInvalid', message: `expected "port[-port],owner[,note]", got ${r.fields.length} field${r.fields.length === 1 ? '' : 's'}` });
      return;
    }
    rows.push({ at: `line ${r.line}`, input: { ports: r.fields[0], owner: r.fields[1], note: r.fields[2] } });
  });
  return { rows, causes };
}

const exportedFields = new Set(['ports', 'owner', 'note', 'cluster', 'from', 'to', 'createdAt', 'createdBy']);

function jsonReservations(text: string): { rows: { at: string; input: Record<string, unknown> }[]; causes: Cause[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { rows: [], causes: [{ field: '<data>', reason: 'FieldValueInvalid', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  // A bare list, a `{ items }` list, or the `reserved` list of a port map (so a map exported with
  // `berth ports list -o json` imports into another cluster).
  const list = Array.isArray(value) ? value
    : typeof value === 'object' && value !== null ? ((value as { items?: unknown }).items ?? (value as { reserved?: unknown }).reserved) : undefined;
  if (!Array.isArray(list)) {
    return { rows: [], causes: [{ field: '<data>', reason: 'FieldValueInvalid', message: 'expected a JSON array of {"ports", "owner", "note"} objects, or an object with "items" or "reserved" holding one' }] };
  }
  const rows: { at: string; input: Record<string, unknown> }[] = [];
  const causes: Cause[] = [];
  list.forEach((item, k) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      causes.push({ field: `[${k}]`, reason: 'FieldValueInvalid', message: 'expected an object with "ports", "owner" and optionally "note"' });
      return;
    }
    const unknown = Object.keys(item).filter((key) => !exportedFields.has(key));
    for (const key of unknown) causes.push({ field: `[${k}].${key}`, reason: 'FieldValueNotSupported', message: 'unknown field' });
    if (!unknown.length) rows.push({ at: `[${k}]`, input: item as Record<string, unknown> });
  });
  return { rows, causes };
}

/**
 * Parses and checks a whole import (CSV `port[-port],owner[,note]` with an optional header line,
 * or JSON) against the cluster's range: each row valid, at most {@link MAX_IMPORT_ROWS}, no two
 * overlapping. Returns the reservations in input order, or causes naming lines (CSV) or indexes
 * (JSON) — at most {@link MAX_IMPORT_CAUSES} of them — when anything is wrong.
 */
export function parseReservationImport(format: 'csv' | 'json', text: string, range: PortRange): ImportedReservation[] | Cause[] {
  if (text.length > MAX_IMPORT_CHARS) return [{ field: '<data>', reason: 'FieldValueTooLong', message: `Too long: may not be more than ${MAX_IMPORT_CHARS} characters` }];
  const parsed = format === 'csv' ? csvReservations(text) : jsonReservations(text);
  const causes = [...parsed.causes];
  if (parsed.rows.length + parsed.causes.length > MAX_IMPORT_ROWS) {
    return [{ field: '<data>', reason: 'FieldValueTooMany', message: `Too many: may not hold more than ${MAX_IMPORT_ROWS} reservations` }];
  }
  const out: ImportedReservation[] = [];
  for (const row of parsed.rows) {
    const spec = checkReservation(row.input, range, row.at);
    if (Array.isArray(spec)) causes.push(...spec);
    else out.push({ ...spec, at: row.at });
  }
  const sorted = [...out].sort((a, b) => a.from - b.from);
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k].from <= sorted[k - 1].to) {
      causes.push({ field: sorted[k].at, reason: 'FieldValueDuplicate', message: `ports ${formatPortSpan(sorted[k])} overlap ports ${formatPortSpan(sorted[k - 1])} of ${sorted[k - 1].at}` });
    }
  }
  if (causes.length) return sortCauses(causes).slice(0, MAX_IMPORT_CAUSES);
  return out;
}

/** Causes in input order: line numbers and indexes compare as numbers. */
function sortCauses(causes: readonly Cause[]): Cause[] {
  const key = (c: Cause) => Number(/\d+/.exec(c.field ?? '')?.[0] ?? -1);
  return [...causes].sort((a, b) => key(a) - key(b));
}

/** Parses `namespace/name`; returns the reason as a string when it is not a valid Service reference. */
export function parseServiceRef(text: string): ServiceRef | string {
  const parts = text.split('/');
  const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  const dns1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
  if (parts.length !== 2) return 'expected "namespace/name"';
  const [namespace, name] = parts;
  if (namespace.length > 63 || !label.test(namespace)) return `namespace "${namespace}" is not a lowercase RFC 1123 label`;
  if (name.length > 63 || !dns1035.test(name)) return `Service name "${name}" is not a lowercase RFC 1035 label`;
  return { namespace, name };
}

/**
 * Chooses a free port as kube-apiserver would (the compute core's allocator: upper band first,
 * random start, forward scan), never one of `reserved` nor of `taken`. Parts of spans or ports
 * outside `range` are ignored. Throws the allocator's `Full` error when nothing is free.
 */
export function chooseFreePort(range: PortRange, reserved: readonly PortSpan[], taken: Iterable<number>, random?: RandomInt): number {
  const last = range.base + range.size - 1;
  const reservations = reserved
    .filter((s) => s.to >= range.base && s.from <= last)
    .map((s) => ({ from: Math.max(s.from, range.base), to: Math.min(s.to, last), service: 'reserved', owner: 'reserved' }));
  const allocator = new NodePortAllocator({ range, reservations, random });
  for (const port of taken) {
    if (port >= range.base && port <= last && !allocator.reservationOf(port) && !allocator.has(port)) allocator.allocate(port);
  }
  return allocator.allocateNext();
}

/**
 * The state of every port of `range` as consecutive runs, ascending. A reserved port a live
 * Service uses is a `conflict`; otherwise reserved beats allocated beats used.
 */
export function portStrip(range: PortRange, reserved: readonly PortSpan[], allocated: Iterable<number>, used: Iterable<number>): StripRun[] {
  const codes: readonly PortState[] = ['free', 'used', 'allocated', 'reserved', 'conflict'];
  const state = new Uint8Array(range.size);
  const mark = (port: number, code: number) => {
    const i = port - range.base;
    if (i >= 0 && i < range.size && state[i] < code) state[i] = code;
  };
  for (const p of used) mark(p, 1);
  for (const p of allocated) mark(p, 2);
  for (const s of reserved) {
    for (let p = Math.max(s.from, range.base); p <= Math.min(s.to, range.base + range.size - 1); p++) {
      mark(p, state[p - range.base] === 1 ? 4 : 3);
    }
  }
  const runs: StripRun[] = [];
  let start = 0;
  for (let i = 1; i <= range.size; i++) {
    if (i === range.size || state[i] !== state[start]) {
      runs.push({ from: range.base + start, to: range.base + i - 1, state: codes[state[start]] });
      start = i;
    }
  }
  return runs;
}

/** An admission allocation as the settling of allocations against live Services sees it. */
export interface AdmissionAllocation {
  readonly port: number;
  /** `namespace/name`, or `namespace/prefix` when `generateName`. */
  readonly service: string;
  readonly generateName: boolean;
  /** The deadline of a pending allocation (ISO 8601); absent once bound. */
  readonly expiresAt?: string;
}

/** What to change in a cluster's admission allocations after a look at its Services. */
export interface Settlement {
  /** Pending allocations whose Service now holds the port: bind them, under the Service's final name. */
  readonly bind: readonly { readonly port: number; readonly service: string }[];
  /** Allocations to release: a bound one whose Service no longer holds the port, or a pending one past its deadline. */
  readonly release: readonly { readonly port: number; readonly service: string; readonly why: 'gone' | 'expired' }[];
}

/**
 * Settles a cluster's admission allocations against `used`, the cluster's full set of ports
 * live Services hold. A pending allocation binds when its Service holds its port (for a
 * generateName allocation, a Service of its namespace whose name starts with the prefix); it is
 * never released for being absent, since the watch may not have seen its Service yet, only once
 * `now` reaches its deadline. A bound one is released as soon as its Service no longer holds the
 * port (deleted, no longer of a type with node ports, or given another port). Pure.
 */
export function settleAdmissionAllocations(allocations: readonly AdmissionAllocation[], used: readonly UsedPort[], now: Date): Settlement {
  const holder = new Map<number, UsedPort>();
  for (const u of used) if (!holder.has(u.port)) holder.set(u.port, u);
  const bind: { port: number; service: string }[] = [];
  const release: { port: number; service: string; why: 'gone' | 'expired' }[] = [];
  for (const a of allocations) {
    const u = holder.get(a.port);
    if (u !== undefined && holds(a, u)) {
      if (a.expiresAt !== undefined) bind.push({ port: a.port, service: `${u.namespace}/${u.service}` });
    } else if (a.expiresAt === undefined) {
      release.push({ port: a.port, service: a.service, why: 'gone' });
    } else if (Date.parse(a.expiresAt) <= now.getTime()) {
      release.push({ port: a.port, service: a.service, why: 'expired' });
    }
  }
  return { bind, release };
}

function holds(a: AdmissionAllocation, u: UsedPort): boolean {
  if (!a.generateName) return a.service === `${u.namespace}/${u.service}`;
  const slash = a.service.indexOf('/');
  return u.namespace === a.service.slice(0, slash) && u.service.startsWith(a.service.slice(slash + 1));
}

/** The fields of a Service's spec that decide its node ports. */
export interface ServicePortsSpec {
  readonly type?: unknown;
  readonly allocateLoadBalancerNodePorts?: unknown;
  readonly ports?: unknown;
}

/**
 * What one port of a Service needs from Berth's map: `keep` (no node port wanted, or one the
 * Service already holds, or one the API server carries over from the stored Service), `choose`
 * (Berth picks a free port), or the explicit port asked for.
 */
export type NodePortNeed = 'keep' | 'choose' | number;

/** Whether a Service of this spec gets node ports: NodePort, or LoadBalancer unless it opts out. */
export function wantsNodePorts(spec: ServicePortsSpec): boolean {
  if (spec.type === 'NodePort') return true;
  return spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

interface SpecPort { readonly name?: unknown; readonly nodePort?: unknown }

function specPorts(spec: ServicePortsSpec): readonly SpecPort[] {
  return Array.isArray(spec.ports) ? spec.ports.map((p) => (typeof p === 'object' && p !== null ? p as SpecPort : {})) : [];
}

function nodePortOf(p: SpecPort): number | undefined {
  return typeof p.nodePort === 'number' && p.nodePort !== 0 ? p.nodePort : undefined;
}

/** What an update (or create) of a Service needs from Berth's map. */
export interface NodePortPlan {
  /** Per port of the new spec, in order. */
  readonly needs: readonly NodePortNeed[];
  /** Node ports the stored Service holds that it will not hold after the update, ascending. */
  readonly released: readonly number[];
}

/**
 * What each port of `spec` needs from Berth, in order, for a create (`old` absent) or an update
 * of a Service whose stored spec is `old`, and which of the stored node ports the update gives
 * up. Nothing is needed unless `spec` wants node ports. On an update, a port whose explicit
 * nodePort the stored Service holds is kept; so is a port without one that kube-apiserver fills
 * in itself after mutating admission (both specs want node ports, and the stored port of the same
 * name has a nodePort that no port of `spec` names explicitly), so Berth never takes a second
 * port for a port the Service keeps. Pure.
 */
export function nodePortNeeds(spec: ServicePortsSpec, old?: ServicePortsSpec): NodePortPlan {
  const ports = specPorts(spec);
  const oldPorts = old === undefined ? [] : specPorts(old);
  const held = new Set(oldPorts.map(nodePortOf).filter((p) => p !== undefined));
  if (!wantsNodePorts(spec)) return { needs: ports.map(() => 'keep'), released: [...held].sort((a, b) => a - b) };
  const named = new Set(ports.map(nodePortOf).filter((p) => p !== undefined));
  // kube-apiserver's carry-over on update: by port name, only between two specs that want node ports.
  const carried = new Map<unknown, number | undefined>();
  if (old !== undefined && wantsNodePorts(old)) for (const p of oldPorts) carried.set(p.name ?? '', nodePortOf(p));
  const kept = new Set<number>();
  const needs = ports.map((p): NodePortNeed => {
    const explicit = nodePortOf(p);
    if (explicit !== undefined) {
      if (!held.has(explicit)) return explicit;
      kept.add(explicit);
      return 'keep';
    }
    const previous = carried.get(p.name ?? '');
    if (previous === undefined || named.has(previous)) return 'choose';
    kept.add(previous);
    return 'keep';
  });
  return { needs, released: [...held].filter((p) => !kept.has(p)).sort((a, b) => a - b) };
}
