// The Docker registry token service at /auth/token: basic credentials (or none, for anonymous
// pulls of public projects) in, a short-lived JWT whose access is what was asked and allowed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { anonymous, BadCredentialsError, tokenService, type Authenticated, type RegistryAuth } from './auth-service.ts';
import { ociErrorBody } from './v2/oci-errors.ts';

function basicOf(req: FastifyRequest): { username: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { username: text.slice(0, i), password: text.slice(i + 1) };
}

/** Registers GET /auth/token (basic credentials) and POST /auth/token (OAuth2 password grant). */
export async function tokenRoutes(app: FastifyInstance, auth: RegistryAuth): Promise<void> {
  await app.register(async (t) => {
    t.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, new URLSearchParams(String(body))));
    t.post('/auth/token', { config: { auth: 'custom' }, schema: { hide: true } }, async (req, reply) => {
      const form = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
      const grant = form.get('grant_type');
      if (grant !== 'password') {
        // Refresh tokens are not issued, so a refresh grant cannot be valid; clients fall back to GET.
        return reply.code(400).send({ error: 'unsupported_grant_type', error_description: 'only the password grant is supported; use GET /auth/token with basic credentials' });
      }
      const service = form.get('service');
      if (service !== null && service !== tokenService) return reply.code(400).send({ error: 'invalid_request', error_description: `this token service is "${tokenService}"` });
      const username = form.get('username') ?? '';
      let who: Authenticated;
      try {
        who = await auth.authenticateBasic(username, form.get('password') ?? '', req.ctx);
      } catch (err) {
        if (!(err instanceof BadCredentialsError)) throw err;
        await auth.auditFailedLogin(username, err.message, req.ctx);
        // A throttled login is answered as the GET form answers it: 429 and when to come back.
        if (err.retryAfter) return reply.code(429).header('retry-after', String(err.retryAfter)).send({ error: 'slow_down', error_description: err.message });
        return reply.code(401).send({ error: 'invalid_grant', error_description: err.message });
      }
      const issued = await auth.issueToken(who, form.getAll('scope'), req.ctx, true);
      return reply.header('cache-control', 'no-store').send({
        access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, issued_at: issued.issuedAt,
        scope: issued.access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' '),
      });
    });
  });

  app.get('/auth/token', { config: { auth: 'custom' }, schema: { hide: true } }, async (req, reply) => {
    const query = new URLSearchParams(req.url.split('?', 2)[1] ?? '');
    const service = query.get('service');
    if (service !== null && service !== tokenService) {
      return reply.code(400).send(ociErrorBody('UNSUPPORTED', `this token service is "${tokenService}", not "${service}"`));
    }
    const creds = basicOf(req);
    if (req.headers.authorization && !creds) {
      return reply.code(401).header('www-authenticate', 'Basic realm="berth"').send(ociErrorBody('UNAUTHORIZED', 'send credentials with HTTP basic authentication'));
    }
    let who = anonymous;
    if (creds) {
      try {
        who = await auth.authenticateBasic(creds.username, creds.password, req.ctx);
      } catch (err) {
        if (!(err instanceof BadCredentialsError)) throw err;
        await auth.auditFailedLogin(creds.username, err.message, req.ctx);
        if (err.retryAfter) reply.header('retry-after', String(err.retryAfter));
        return reply.code(err.retryAfter ? 429 : 401).header('www-authenticate', 'Basic realm="berth"')
          .send(ociErrorBody(err.retryAfter ? 'TOOMANYREQUESTS' : 'UNAUTHORIZED', err.message));
      }
    }
    const issued = await auth.issueToken(who, query.getAll('scope'), req.ctx, creds !== undefined);
    return reply.header('cache-control', 'no-store').send({
      token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt,
    });
  });
}
