// The names a serving certificate holds: DNS names and IP addresses, parsed from configuration
// text. Pure. IP literals are turned into the bytes X.509 stores (4 or 16), which is also how two
// spellings of one IPv6 address are recognised as the same.

/** Subject alternative names of a serving certificate, deduplicated, in the order given. */
export interface SubjectAltNames {
  /** Lower-case DNS names (RFC 1123 host names). */
  readonly dns: readonly string[];
  /** IP addresses in canonical text (IPv4 dotted, IPv6 as `URL` prints it). */
  readonly ips: readonly string[];
}

const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `name` is an RFC 1123 host name (lower case, labels of 1-63, at most 253 characters). */
export function isDnsName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => label.test(l));
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

function groupsOf(text: string): number[] | undefined {
  if (text === '') return [];
  const out: number[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes('.')) {
      const v4 = ipv4Bytes(part);
      if (v4 === undefined) return undefined;
      out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      out.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return out;
}

function ipv6Bytes(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** The 4 or 16 bytes of an IPv4 or IPv6 literal (IPv6 optionally in brackets); undefined when `text` is not one. */
export function ipBytes(text: string): Uint8Array | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const bytes = bare.includes(':') ? ipv6Bytes(bare) : ipv4Bytes(bare);
  return bytes === undefined ? undefined : Uint8Array.from(bytes);
}

/** The canonical text of an IP's bytes: dotted for 4 bytes, RFC 5952 compressed for 16. */
export function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  // RFC 5952: the longest run (the first of equals) of two or more zero groups becomes "::".
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * Parses a comma-separated list of DNS names and IP addresses (spaces around entries ignored,
 * empty entries skipped, DNS names lower-cased, duplicates dropped).
 * @throws Error naming the first entry that is neither a DNS name nor an IP address.
 */
export function parseSubjectAltNames(list: string): SubjectAltNames {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const raw of list.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const ip = ipBytes(entry);
    if (ip !== undefined) {
      const text = ipText(ip);
      if (!ips.includes(text)) ips.push(text);
      continue;
    }
    const name = entry.toLowerCase();
    if (!isDnsName(name)) throw new Error(`"${entry}" is neither a DNS name nor an IP address`);
    if (!dns.includes(name)) dns.push(name);
  }
  return { dns, ips };
}

/** The union of two name sets, `a`'s first, duplicates dropped. */
export function mergeSubjectAltNames(a: SubjectAltNames, b: SubjectAltNames): SubjectAltNames {
  return {
    dns: [...a.dns, ...b.dns.filter((n) => !a.dns.includes(n))],
    ips: [...a.ips, ...b.ips.filter((n) => !a.ips.includes(n))],
  };
}
