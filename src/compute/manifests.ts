// Manifest text (YAML or JSON, one or many documents, `kind: List` wrappers) to typed objects.
// No I/O: callers read the files and pass the text with a name for messages.
import { parseAllDocuments } from 'yaml';
import { decodeObject, DecodeError } from './decode.ts';
import type { JsonObject, KubeObject } from './model.ts';

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
 * Parses every document of a YAML or JSON text. Empty documents are skipped; a List's items
 * are returned in order in its place. YAML 1.1 scalars are used, as kubectl's decoder does.
 * @throws ManifestError for a syntax error or an object that cannot be decoded.
 */
export function parseManifests(text: string, source: string): ManifestObject[] {
  const out: ManifestObject[] = [];
  const json = parseJsonDocument(text);
  if (json !== undefined) {
    if (isObject(json) && isList(json)) {
      (json.items as unknown[]).forEach((item, i) => out.push({ source, document: 0, object: decodeAt(item, source, 0, `items[${i}]`) }));
    } else {
      out.push({ source, document: 0, object: decodeAt(json, source, 0, '') });
    }
    return out;
  }
  const docs = parseAllDocuments(text, { version: '1.1', prettyErrors: false });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, document) => {
    if (doc.errors.length > 0) {
      throw new ManifestError(source, document, '(syntax)', doc.errors[0].message.split('\n')[0]);
    }
    const raw: unknown = doc.toJS({ maxAliasCount: 100 });
    if (raw === null || raw === undefined) return;
    if (isObject(raw) && isList(raw)) {
      (raw.items as unknown[]).forEach((item, i) => out.push({ source, document, object: decodeAt(item, source, document, `items[${i}]`) }));
      return;
    }
    out.push({ source, document, object: decodeAt(raw, source, document, '') });
  });
  return out;
}
