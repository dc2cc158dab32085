// The Docker registry token service at /auth/token: basic credentials (or none, for anonymous
// pulls of public projects) in, a short-lived JWT whose access is what was asked and allowed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RegistryCaller } from './access.ts';
import { BadCredentialsError, tokenService, type RegistryAuth } from './auth-service.ts';
import { ociErrorBody } from './errors.ts';

function basicOf(req: FastifyRequest): { username: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? undefined : { username: text.slice(0, i), password: text.slice(i + 1) };
}

/** Registers GET /auth/token. */
export async function tokenRoutes(app: FastifyInstance, auth: RegistryAuth): Promise<void> {
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
    let caller: RegistryCaller = { kind: 'anonymous' };
    if (creds) {
      try {
        caller = await auth.authenticateBasic(creds.username, creds.password, req.ctx);
      } catch (err) {
        if (!(err instanceof BadCredentialsError)) throw err;
        await auth.auditFailedLogin(creds.username, err.message, req.ctx);
        if (err.retryAfter) reply.header('retry-after', String(err.retryAfter));
        return reply.code(err.retryAfter ? 429 : 401).header('www-authenticate', 'Basic realm="berth"')
          .send(ociErrorBody(err.retryAfter ? 'TOOMANYREQUESTS' : 'UNAUTHORIZED', err.message));
      }
    }
    const issued = await auth.issueToken(caller, query.getAll('scope'), req.ctx, creds !== undefined);
    return reply.header('cache-control', 'no-store').send({
      token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt,
    });
  });
}
