// The HTTPS listener member clusters' API servers call for admission: its own Fastify instance
// (not the API's), because it has another body bound (an AdmissionReview may carry an object of up
// to kube's 3 MiB), no bearer-token guard, no console or /api routes, and its own TLS identity.
// Policies plug in by name; the certificate renews itself under the running server.
import type { Server as HttpsServer, ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { ServingCertificates } from '../platform/tls/serving-service.ts';
import type { IssuedCertificate } from '../platform/tls/certificates.ts';
import type { RequestTimeouts, WebhookConfig } from '../platform/config.ts';
import { admissionResponse, parseAdmissionReview, type AdmissionRequest, type MutationVerdict, type Verdict } from './admission-review.ts';

/** The largest AdmissionReview accepted, bytes: kube-apiserver's own bound on a request body. */
export const MAX_ADMISSION_REVIEW_BYTES = 3 * 1024 * 1024;

/** The name of the CA (in `tls_authorities`) that signs the admission serving certificates. */
export const ADMISSION_AUTHORITY = 'admission';

/** How long a request (headers and body) may take to arrive, ms: API servers give webhooks seconds, not minutes. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * What Berth enforces at admission, served at `/admission/validate/<name>` (when `validate` is
 * given) and `/admission/mutate/<name>` (when `mutate` is given). A method sees every request the
 * webhook configuration routes to it, dry runs included (`req.dryRun`: reserve nothing), and
 * answers with a verdict; throwing makes the webhook call fail, so the cluster's failurePolicy
 * decides.
 */
export interface AdmissionPolicy {
  validate?(req: AdmissionRequest, origin: AdmissionOrigin): Promise<Verdict>;
  mutate?(req: AdmissionRequest, origin: AdmissionOrigin): Promise<MutationVerdict>;
}

/**
 * Which cluster sent the review: the last segment of `/admission/<mode>/<name>/<cluster>`, the
 * URL Berth registers in each member cluster (webhook URLs may carry no query). Absent on the
 * two-segment path.
 */
export interface AdmissionOrigin {
  readonly cluster?: string;
}

/** Admission policies by name; areas register theirs at start-up, lookups happen per request. */
export class AdmissionPolicies {
  readonly #byName = new Map<string, AdmissionPolicy>();

  /**
   * Serves `policy` under `name` (a DNS-1123 label such as `tenant-quota`).
   * @throws Error when the name is not a label, is taken, or the policy has neither method.
   */
  register(name: string, policy: AdmissionPolicy): void {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) throw new Error(`admission policy name "${name}" must be a DNS-1123 label`);
    if (this.#byName.has(name)) throw new Error(`admission policy "${name}" is already registered`);
    if (policy.validate === undefined && policy.mutate === undefined) throw new Error(`admission policy "${name}" neither validates nor mutates`);
    this.#byName.set(name, policy);
  }

  /** The policy method serving `/admission/<mode>/<name>`, if any. */
  handler(mode: string, name: string): ((req: AdmissionRequest, origin: AdmissionOrigin) => Promise<Verdict | MutationVerdict>) | undefined {
    const policy = this.#byName.get(name);
    if (mode === 'validate' && policy?.validate) return policy.validate.bind(policy);
    if (mode === 'mutate' && policy?.mutate) return policy.mutate.bind(policy);
    return undefined;
  }
}

/** What {@link startAdmissionServer} needs. */
export interface AdmissionServerOptions {
  /** Interface to listen on (the server's own `host`). */
  readonly host: string;
  readonly webhook: WebhookConfig;
  /** The server's keep-alive and idle bounds (BERTH_KEEPALIVE_TIMEOUT, BERTH_IDLE_TIMEOUT), seconds. */
  readonly timeouts: Pick<RequestTimeouts, 'keepAlive' | 'idle'>;
  readonly db: Kysely<unknown>;
  readonly secretKey: Uint8Array;
  readonly logger: Logger;
  readonly policies: AdmissionPolicies;
  readonly now?: () => Date;
}

/** A running admission listener. */
export interface AdmissionServer {
  /** Where policies are registered; they may be added while the listener runs. */
  readonly policies: AdmissionPolicies;
  /** The base URL API servers call, e.g. `https://berth.example:9443` (webhook URLs add `/admission/...`). */
  readonly url: string;
  /** The CA certificate, PEM: the webhook configurations' caBundle. */
  readonly caPem: string;
  /** The serving certificate in use now (serial and validity; renewed in place). */
  certificate(): IssuedCertificate;
  /** Stops renewing and listening; lets requests in flight finish. Idempotent. */
  close(): Promise<void>;
}

type Reason = 'BadRequest' | 'NotFound' | 'RequestEntityTooLarge' | 'UnsupportedMediaType' | 'InternalError' | 'ServiceUnavailable';
const codes: Readonly<Record<Reason, number>> = {
  BadRequest: 400, NotFound: 404, RequestEntityTooLarge: 413, UnsupportedMediaType: 415, InternalError: 500, ServiceUnavailable: 503,
};

function failure(reason: Reason, message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code: codes[reason] };
}

function bodyError(err: FastifyError): { reason: Reason; message: string } {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { reason: 'RequestEntityTooLarge', message: `the AdmissionReview is larger than ${MAX_ADMISSION_REVIEW_BYTES} bytes` };
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { reason: 'UnsupportedMediaType', message: 'an AdmissionReview must be sent as application/json' };
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return { reason: 'BadRequest', message: 'the body is empty: an AdmissionReview was expected' };
  if (err instanceof SyntaxError || err.statusCode === 400) return { reason: 'BadRequest', message: `the body is not valid JSON: ${err.message}` };
  return { reason: 'InternalError', message: 'internal error' };
}

function routes(app: FastifyInstance, policies: AdmissionPolicies): void {
  // API servers send JSON only; Fastify's default text parser would hand a policy a string.
  app.removeContentTypeParser('text/plain');
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send(
    failure('NotFound', `no admission webhook at ${req.method} ${req.url.split('?')[0]}: webhooks are POST /admission/validate/<name> and /admission/mutate/<name>`),
  ));
  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    const { reason, message } = bodyError(err);
    if (reason === 'InternalError') req.log.error({ err }, 'admission request failed');
    return reply.code(codes[reason]).send(failure(reason, message));
  });
  const review = async (req: FastifyRequest<{ Params: { mode: string; name: string; cluster?: string } }>, reply: FastifyReply): Promise<FastifyReply> => {
    const handler = policies.handler(req.params.mode, req.params.name);
    if (handler === undefined) {
      return reply.code(404).send(failure('NotFound', `no admission policy serves /admission/${req.params.mode}/${req.params.name}`));
    }
    const parsed = parseAdmissionReview(req.body);
    if (!parsed.ok) return reply.code(400).send(failure('BadRequest', parsed.message));
    let verdict: Verdict | MutationVerdict;
    try {
      verdict = await handler(parsed.request, req.params.cluster === undefined ? {} : { cluster: req.params.cluster });
    } catch (err) {
      req.log.error({ err, policy: req.params.name, uid: parsed.request.uid }, 'admission policy failed');
      return reply.code(500).send(failure('InternalError', `admission policy "${req.params.name}" failed: ${(err as Error).message}`));
    }
    if (req.params.mode === 'validate' && 'patch' in verdict) {
      req.log.error({ policy: req.params.name }, 'a validating admission policy returned a patch');
      return reply.code(500).send(failure('InternalError', `admission policy "${req.params.name}" returned a patch from validation`));
    }
    return reply.code(200).send(admissionResponse(parsed.request.uid, verdict));
  };
  app.post('/admission/:mode/:name', review);
  app.post('/admission/:mode/:name/:cluster', review);
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the admission listener on `host`:`webhook.port` with a serving certificate for
 * `webhook.names` from the shared admission CA (created on first start), renewed in place when a
 * third of its lifetime remains: new connections get the new certificate. Requests: POST JSON AdmissionReview v1 of at
 * most {@link MAX_ADMISSION_REVIEW_BYTES}; anything else gets a Status error (400, 404, 413, 415).
 * @throws Error when the port is taken or the CA cannot be loaded.
 */
export async function startAdmissionServer(opts: AdmissionServerOptions): Promise<AdmissionServer> {
  let app: FastifyInstance | undefined;
  const certs = await ServingCertificates.start({
    db: opts.db, secretKey: opts.secretKey, authority: ADMISSION_AUTHORITY, names: opts.webhook.names,
    lifetimeMs: opts.webhook.certLifetimeSeconds * 1000, logger: opts.logger, now: opts.now,
    onRenew(next) {
      if (app === undefined) return;
      // Connections already open keep their certificate (it is checked at the handshake only)
      // until they close; closing idle ones here would race requests already on their way.
      (app.server as unknown as HttpsServer).setSecureContext({ cert: next.certPem, key: next.keyPem, minVersion: 'TLSv1.2' });
    },
  });
  try {
    const first = certs.current;
    app = Fastify({
      loggerInstance: opts.logger.child({ component: 'admission' }) as FastifyBaseLogger,
      // Every request of an API server would otherwise get a logger of its own (a pino child
      // with its request id) and two log calls: a measurable share of a review's cost. Failures
      // are logged with the policy and the review's uid, which is what identifies them.
      childLoggerFactory: (logger) => logger,
      logController: new LogController({ disableRequestLogging: true }),
      https: {
        cert: first.certPem, key: first.keyPem, minVersion: 'TLSv1.2', handshakeTimeout: REQUEST_TIMEOUT_MS,
        // Node checks the request deadline every 30 s by default: a 10 s bound would hold for up to 40.
        connectionsCheckingInterval: 1_000,
      } as HttpsServerOptions,
      bodyLimit: MAX_ADMISSION_REVIEW_BYTES,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: opts.timeouts.keepAlive * 1000,
      connectionTimeout: opts.timeouts.idle * 1000,
      return503OnClosing: true,
    });
    app.server.headersTimeout = REQUEST_TIMEOUT_MS;
    routes(app, opts.policies);
    await app.listen({ host: opts.host, port: opts.webhook.port });
    const addr = app.server.address();
    const port = opts.webhook.address.port ?? (typeof addr === 'object' && addr ? addr.port : opts.webhook.port);
    const running = app;
    let closing: Promise<void> | undefined;
    return {
      policies: opts.policies,
      url: `https://${urlHost(opts.webhook.address.host)}:${port}`,
      caPem: certs.caPem,
      certificate: () => certs.current,
      close() {
        closing ??= (async () => {
          certs.close();
          await running.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    certs.close();
    await app?.close();
    throw err;
  }
}
