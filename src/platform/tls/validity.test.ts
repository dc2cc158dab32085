import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BACKDATE_MS, CA_LIFETIME_MS, MAX_TIMER_MS, caValidity, needsRenewal, renewalTime, servingValidity, timerDelay } from './validity.ts';

const t = (iso: string) => new Date(iso);

describe('certificate validity and renewal', () => {
  it('gives the CA ten years from issue, notBefore a minute back', () => {
    const now = t('2026-12-03T09:00:00Z');
    const v = caValidity(now);
    assert.equal(v.notAfter.getTime() - now.getTime(), CA_LIFETIME_MS);
    assert.equal(now.getTime() - v.notBefore.getTime(), BACKDATE_MS);
  });
  const serving: readonly { name: string; lifetimeMs: number; caNotAfter: string; notAfter: string }[] = [
    { name: '90 days', lifetimeMs: 90 * 86400e3, caNotAfter: '2036-01-01T00:00:00Z', notAfter: '2027-03-03T09:00:00.000Z' },
    { name: 'cut at the CA\'s end', lifetimeMs: 90 * 86400e3, caNotAfter: '2027-01-01T00:00:00Z', notAfter: '2027-01-01T00:00:00.000Z' },
    { name: 'three seconds', lifetimeMs: 3000, caNotAfter: '2036-01-01T00:00:00Z', notAfter: '2026-12-03T09:00:03.000Z' },
  ];
  for (const c of serving) {
    it(`serving certificate: ${c.name}`, () => {
      const v = servingValidity(t('2026-12-03T09:00:00Z'), c.lifetimeMs, t(c.caNotAfter));
      assert.equal(v.notAfter.toISOString(), c.notAfter);
      assert.equal(v.notBefore.toISOString(), '2026-12-03T08:59:00.000Z');
      assert.equal(v.issuedAt.toISOString(), '2026-12-03T09:00:00.000Z');
    });
  }
  it('refuses a lifetime that is not positive and a CA that has expired', () => {
    assert.throws(() => servingValidity(t('2026-12-03T09:00:00Z'), 0, t('2036-01-01T00:00:00Z')), /must be positive/);
    assert.throws(() => servingValidity(t('2026-12-03T09:00:00Z'), 1000, t('2026-12-03T09:00:00Z')), /CA expired at 2026-12-03T09:00:00.000Z/);
  });
  const renewals: readonly { issuedAt: string; notAfter: string; at: string }[] = [
    { issuedAt: '2026-01-01T00:00:00Z', notAfter: '2026-04-01T00:00:00Z', at: '2026-03-02T00:00:00.000Z' },
    { issuedAt: '2026-01-01T00:00:00Z', notAfter: '2026-01-01T00:00:03Z', at: '2026-01-01T00:00:02.000Z' },
    { issuedAt: '2026-01-01T00:00:00Z', notAfter: '2026-01-01T00:00:00Z', at: '2026-01-01T00:00:00.000Z' },
  ];
  for (const r of renewals) {
    it(`renews ${r.issuedAt} → ${r.notAfter} at ${r.at}: two thirds in, from issue (not the backdated notBefore)`, () => {
      const v = { issuedAt: t(r.issuedAt), notAfter: t(r.notAfter) };
      assert.equal(renewalTime(v).toISOString(), r.at);
      assert.equal(needsRenewal(v, new Date(t(r.at).getTime() - 1)), t(r.at).getTime() - 1 >= t(r.at).getTime());
      assert.equal(needsRenewal(v, t(r.at)), true);
    });
  }
  it('bounds timer delays to [0, 2^31-1] ms', () => {
    const now = t('2026-01-01T00:00:00Z');
    assert.equal(timerDelay(now, t('2025-12-31T00:00:00Z')), 0);
    assert.equal(timerDelay(now, t('2026-01-01T00:00:01Z')), 1000);
    assert.equal(timerDelay(now, t('2026-03-01T00:00:00Z')), MAX_TIMER_MS);
  });
});
