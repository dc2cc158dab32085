// metav1.Time as its JSON decoder reads it: Go's time.Parse with the RFC 3339 layout, which
// wants every field, checks each field's range (the day against its month, no leap second),
// and accepts fractional seconds the layout does not name.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0);
  return lastDay.getUTCDate();
}

/**
 * The instant of an RFC 3339 timestamp in milliseconds since the epoch (sub-millisecond digits
 * dropped), or undefined when Go's time.Parse(time.RFC3339, text) would fail.
 */
export function parseTimestamp(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  if (m[7] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return undefined;
  return Date.parse(text);
}
