// Issues Berth's own X.509 certificates with pkijs over Node's WebCrypto: an ECDSA P-256 CA and
// serving certificates it signs. Node can verify certificates but not build them. No I/O: keys
// and certificates come back as PEM text; the caller stores or serves them.
import { randomBytes, webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ipBytes, type SubjectAltNames } from './names.ts';
import type { Validity } from './validity.ts';

/** A certificate and its private key, PEM, with the facts callers schedule and log by. */
export interface IssuedCertificate {
  /** PEM `CERTIFICATE`. */
  readonly certPem: string;
  /** PEM `PRIVATE KEY` (PKCS #8). */
  readonly keyPem: string;
  /** Serial number, lower-case hex. */
  readonly serial: string;
  readonly validity: Validity;
}

const engine = new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: webcrypto as unknown as Crypto });
const ecdsa = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const oid = {
  commonName: '2.5.4.3', serverAuth: '1.3.6.1.5.5.7.3.1',
  subjectKeyIdentifier: '2.5.29.14', keyUsage: '2.5.29.15', subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19', authorityKeyIdentifier: '2.5.29.35', extKeyUsage: '2.5.29.37',
};

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function derOf(text: string, label: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (m === null) throw new Error(`no PEM ${label} block`);
  return Uint8Array.from(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

// RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
function time(date: Date): pkijs.Time {
  return new pkijs.Time({ type: date.getUTCFullYear() < 2050 ? pkijs.TimeType.UTCTime : pkijs.TimeType.GeneralizedTime, value: date });
}

function name(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: oid.commonName, value: new asn1js.Utf8String({ value: commonName }) })],
  });
}

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

// The KeyUsage BIT STRING with `bits` set (0 = digitalSignature … 6 = cRLSign), DER-minimal.
function keyUsage(bits: readonly number[]): asn1js.BitString {
  const last = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(last / 8) + 1);
  for (const b of bits) bytes[b >> 3] |= 0x80 >> (b & 7);
  return new asn1js.BitString({ valueHex: bytes.buffer, unusedBits: 7 - (last & 7) });
}

async function keyId(publicKey: CryptoKey): Promise<ArrayBuffer> {
  const spki = await webcrypto.subtle.exportKey('spki', publicKey as webcrypto.CryptoKey);
  const info = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(spki).result });
  return webcrypto.subtle.digest('SHA-1', info.subjectPublicKey.valueBlock.valueHexView);
}

// A positive 128-bit serial (top bit clear, so DER needs no leading zero and Go accepts it).
function serialNumber(): { integer: asn1js.Integer; hex: string } {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01;
  return { integer: new asn1js.Integer({ valueHex: Uint8Array.from(bytes).buffer }), hex: bytes.toString('hex') };
}

interface Signer {
  readonly subject: pkijs.RelativeDistinguishedNames;
  readonly privateKey: CryptoKey;
  readonly keyId: ArrayBuffer;
}

async function build(
  subject: string, validity: Validity, keys: CryptoKeyPair, extensions: (ownKeyId: ArrayBuffer) => pkijs.Extension[], signer?: Signer,
): Promise<IssuedCertificate> {
  const cert = new pkijs.Certificate();
  const serial = serialNumber();
  cert.version = 2;
  cert.serialNumber = serial.integer;
  cert.subject = name(subject);
  cert.issuer = signer?.subject ?? name(subject);
  cert.notBefore = time(validity.notBefore);
  cert.notAfter = time(validity.notAfter);
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey, engine);
  const own = await keyId(keys.publicKey);
  cert.extensions = [
    ...extensions(own),
    extension(oid.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({
      keyIdentifier: new asn1js.OctetString({ valueHex: signer?.keyId ?? own }),
    }).toSchema()),
  ];
  await cert.sign(signer?.privateKey ?? keys.privateKey, 'SHA-256', engine);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
  return { certPem: pem('CERTIFICATE', cert.toSchema(true).toBER(false)), keyPem: pem('PRIVATE KEY', pkcs8), serial: serial.hex, validity };
}

async function newKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ecdsa, true, ['sign', 'verify']) as CryptoKeyPair;
}

/** Issues a self-signed ECDSA P-256 CA named `commonName`, valid for `validity`, that may sign only end-entity certificates. */
export async function issueCa(commonName: string, validity: Validity): Promise<IssuedCertificate> {
  return build(commonName, validity, await newKeys(), (own) => [
    extension(oid.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
    extension(oid.keyUsage, true, keyUsage([0, 5, 6])),
    extension(oid.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: own })),
  ]);
}

/**
 * Issues an ECDSA P-256 serving certificate (server authentication) for `names`, signed by `ca`,
 * valid for `validity`; the common name is the first DNS name or IP.
 * @throws Error when `names` is empty, an IP is not a literal, or `ca` is not a PEM pair this module issued.
 */
export async function issueServing(ca: Pick<IssuedCertificate, 'certPem' | 'keyPem'>, names: SubjectAltNames, validity: Validity): Promise<IssuedCertificate> {
  const first = names.dns[0] ?? names.ips[0];
  if (first === undefined) throw new Error('a serving certificate needs at least one DNS name or IP address');
  const caCert = new pkijs.Certificate({ schema: asn1js.fromBER(derOf(ca.certPem, 'CERTIFICATE')).result });
  const caKey = await webcrypto.subtle.importKey('pkcs8', derOf(ca.keyPem, 'PRIVATE KEY'), ecdsa, false, ['sign']);
  const caPublic = await caCert.getPublicKey({ algorithm: { algorithm: ecdsa, usages: ['verify'] } }, engine);
  const signer: Signer = { subject: caCert.subject, privateKey: caKey as CryptoKey, keyId: await keyId(caPublic) };
  const altNames = new pkijs.GeneralNames({
    names: [
      ...names.dns.map((value) => new pkijs.GeneralName({ type: 2, value })),
      ...names.ips.map((ip) => {
        const bytes = ipBytes(ip);
        if (bytes === undefined) throw new Error(`"${ip}" is not an IP address`);
        return new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: bytes.buffer as ArrayBuffer }) });
      }),
    ],
  });
  return build(first, validity, await newKeys(), (own) => [
    extension(oid.basicConstraints, true, new pkijs.BasicConstraints({ cA: false }).toSchema()),
    extension(oid.keyUsage, true, keyUsage([0])),
    extension(oid.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [oid.serverAuth] }).toSchema()),
    extension(oid.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: own })),
    extension(oid.subjectAltName, false, altNames.toSchema()),
  ], signer);
}
