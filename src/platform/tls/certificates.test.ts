import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { issueCa, issueServing } from './certificates.ts';
import { caValidity, servingValidity } from './validity.ts';

describe('the admission CA and the serving certificates it signs', () => {
  const now = new Date('2026-12-03T09:00:00Z');
  it('issues an ECDSA P-256 CA for ten years and a serving certificate it verifies, with the configured names', async () => {
    const ca = await issueCa('Berth admission CA', caValidity(now));
    const caCert = new X509Certificate(ca.certPem);
    assert.equal(caCert.ca, true);
    assert.equal(caCert.subject, 'CN=Berth admission CA');
    assert.equal(caCert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(new Date(caCert.validTo).toISOString(), '2036-11-30T09:00:00.000Z');
    assert.equal(caCert.verify(caCert.publicKey), true);

    const s = await issueServing(ca, { dns: ['berth.example', 'localhost'], ips: ['10.0.0.5', '::1'] }, servingValidity(now, 3600e3, caCert.validToDate));
    const cert = new X509Certificate(s.certPem);
    assert.equal(cert.ca, false);
    assert.equal(cert.checkIssued(caCert), true);
    assert.equal(cert.verify(caCert.publicKey), true);
    assert.equal(cert.subjectAltName, 'DNS:berth.example, DNS:localhost, IP Address:10.0.0.5, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(cert.checkHost('berth.example'), 'berth.example');
    assert.equal(cert.checkIP('10.0.0.5'), '10.0.0.5');
    assert.equal(cert.checkIP('10.0.0.6'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(new Date(cert.validFrom).toISOString(), '2026-12-03T08:59:00.000Z');
    assert.equal(new Date(cert.validTo).toISOString(), '2026-12-03T10:00:00.000Z');
    assert.equal(cert.serialNumber.toLowerCase(), s.serial);
    assert.deepEqual(createPublicKey(createPrivateKey(s.keyPem)).export({ format: 'jwk' }), cert.publicKey.export({ format: 'jwk' }), 'the key is the certificate\'s');
  });
  it('gives every certificate its own serial and key', async () => {
    const ca = await issueCa('Berth admission CA', caValidity(now));
    const v = servingValidity(now, 60e3, caValidity(now).notAfter);
    const [a, b] = await Promise.all([issueServing(ca, { dns: ['a'], ips: [] }, v), issueServing(ca, { dns: ['a'], ips: [] }, v)]);
    assert.notEqual(a.serial, b.serial);
    assert.notEqual(a.keyPem, b.keyPem);
  });
  it('uses GeneralizedTime from 2050 on, as RFC 5280 asks', async () => {
    const ca = await issueCa('late', caValidity(new Date('2045-01-01T00:00:00Z')));
    const der = new X509Certificate(ca.certPem).raw;
    assert.ok(der.includes(Buffer.from('\x17\x0d441231235900Z', 'latin1')), 'notBefore (2044) as UTCTime');
    assert.ok(der.includes(Buffer.from('\x18\x0f20541230000000Z', 'latin1')), 'notAfter (2054) as GeneralizedTime');
  });
  it('refuses to issue for no name at all', async () => {
    const ca = await issueCa('Berth admission CA', caValidity(now));
    await assert.rejects(issueServing(ca, { dns: [], ips: [] }, servingValidity(now, 1000, caValidity(now).notAfter)), /at least one DNS name or IP/);
  });
});
