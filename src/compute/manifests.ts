// Manifest text (YAML or JSON, one or many documents, `kind: List` wrappers) to typed objects.
// No I/O: callers read the files and pass the text with a name for messages. YAML is read with
// js-yaml (the one YAML library: its YAML 1.1 schema is kubectl's, and its parser is the fast
// path bench/check.ts measures).
import { floatCoreTag, floatYaml11Tag, loadAll, NOT_RESOLVED, timestampTag, YAML11_SCHEMA, YAMLException } from 'js-yaml';
import { DecodeError, decodeObject, type JsonObject, type KubeObject } from '../objects/index.ts';

/** One object from a manifest, with where it came from. */
export interface ManifestObject {
  readonly source: string;
  /** The 0-based position of its document in the file. */
  readonly document: number;
  readonly object: KubeObject;
}

/** A manifest that cannot be used; the message names the file, the document and the field. */
export class ManifestError extends Error {
  readonly source: string;
  readonly document: number;
  readonly field: string;
  constructor(source: string, document: number, field: string, reason: string) {
    super(`${source}: document ${document}: ${field}: ${reason}`);
    this.name = 'ManifestError';
    this.source = source;
    this.document = document;
    this.field = field;
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isList(o: JsonObject): boolean {
  return typeof o.kind === 'string' && (o.kind === 'List' || o.kind.endsWith('List')) && Array.isArray(o.items);
}

function decodeAt(raw: unknown, source: string, document: number, prefix: string): KubeObject {
  if (!isObject(raw)) throw new ManifestError(source, document, prefix || '(document)', 'must be an object');
  try {
    return decodeObject(raw);
  } catch (err) {
    if (err instanceof DecodeError) throw new ManifestError(source, document, prefix ? `${prefix}.${err.field}` : err.field, err.reason);
    throw err;
  }
}

/**
 * A JSON manifest decoded as the API machinery's YAML-or-JSON decoder does for text that opens
 * with a brace: with a JSON parser, which is also far faster than a YAML one. Undefined when
 * the text is not a single JSON object, so that YAML parsing (and its error positions) applies.
 */
function parseJsonDocument(text: string): unknown {
  const start = text.trimStart();
  if (!start.startsWith('{')) return undefined;
  try {
    return JSON.parse(start);
  } catch {
    return undefined;
  }
}

/**
 * YAML 1.1 scalars as kubectl's decoder (go-yaml v2) reads them: `yes` is true, `0777` is octal;
 * floats also in the Core schema's forms, which go-yaml accepts too (`1e3` is 1000, not a string);
 * a plain timestamp stays text, as go-yaml v2 leaves it when decoding into an untyped value
 * (metav1.Time then parses it).
 */
const MANIFEST_SCHEMA = YAML11_SCHEMA.withTags({
  ...floatYaml11Tag,
  resolve: (source, isExplicit, tagName) => {
    const value = floatYaml11Tag.resolve(source, isExplicit, tagName);
    return value === NOT_RESOLVED ? floatCoreTag.resolve(source, isExplicit, tagName) : value;
  },
}, { ...timestampTag, implicit: false });

const DOCUMENT_START = /^---(?=[ \t\r\n]|$)/gm;

/**
 * The index of the document holding `position`: the document start markers before it, less
 * one when the text opens with a marker (only blank lines, comments and directives before it).
 */
function documentAt(text: string, position: number): number {
  let markers = 0;
  let first = -1;
  for (const m of text.slice(0, position).matchAll(DOCUMENT_START)) {
    if (markers++ === 0) first = m.index;
  }
  const opensWithMarker = first >= 0 && text.slice(0, first).split('\n').every((line) => /^\s*(#.*|%.*)?$/.test(line));
  return opensWithMarker ? markers - 1 : markers;
}

function loadDocuments(text: string, source: string): unknown[] {
  try {
    return loadAll(text, { schema: MANIFEST_SCHEMA, maxAliases: 100 });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    const mark = err.mark as { readonly position?: number; readonly line?: number; readonly column?: number } | undefined;
    const where = mark?.line === undefined ? '' : ` at line ${mark.line + 1}, column ${(mark.column ?? 0) + 1}`;
    throw new ManifestError(source, documentAt(text, mark?.position ?? text.length), '(syntax)', `${err.reason}${where}`);
  }
}

/**
 * Parses every document of a YAML or JSON text. Empty documents are skipped; a List's items
 * are returned in order in its place. YAML 1.1 scalars are used, as kubectl's decoder does.
 * @throws ManifestError for a syntax error or an object that cannot be decoded.
 */
export function parseManifests(text: string, source: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  const json = parseJsonDocument(text);
  const documents = json !== undefined ? [json] : loadDocuments(text, source);
  documents.forEach((raw, document) => {
    if (raw === null || raw === undefined) return;
    if (isObject(raw) && isList(raw)) {
      (raw.items as unknown[]).forEach((item, i) => out.push({ source, document, object: decodeAt(item, source, document, `items[${i}]`) }));
      return;
    }
    out.push({ source, document, object: decodeAt(raw, source, document, '') });
  });
  return out;
}
