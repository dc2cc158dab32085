// How the console writes dates and token states. Pure.

/**
 * A UTC ISO 8601 time written in the viewer's time zone as `YYYY-MM-DD HH:mm:ss`, or
 * `fallback` when the value is absent or not a date.
 */
export function formatTime(iso: string | undefined, fallback = '—'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return fallback;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Tag colours of the token states {@link tokenState} answers. */
export const tokenStateColors = { active: 'green', revoked: 'default', expired: 'orange' } as const;

/** The state a token is in at `now`: revoked wins over expired. */
export function tokenState(token: { readonly revoked: boolean; readonly expiresAt: string }, now: Date): 'active' | 'revoked' | 'expired' {
  if (token.revoked) return 'revoked';
  const expires = new Date(token.expiresAt).getTime();
  return !Number.isNaN(expires) && expires <= now.getTime() ? 'expired' : 'active';
}
