// The peer of bench/admission.ts's handler throughput: a bare Fastify HTTPS route answering a
// fixed AdmissionReview response, as a process of its own like the Berth server it is compared
// with. Takes {certPem, keyPem, body} as JSON in BENCH_PEER, prints the port it listens on and
// runs until SIGTERM.
import Fastify from 'fastify';

const { certPem, keyPem, body } = JSON.parse(process.env.BENCH_PEER ?? '{}') as { certPem: string; keyPem: string; body: string };
const app = Fastify({ logger: false, https: { cert: certPem, key: keyPem, minVersion: 'TLSv1.2' } });
app.post('/admission/validate/bare', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
process.once('SIGTERM', () => void app.close());
