// The peer of bench/api.ts: a bare Fastify route with no authentication, database or audit,
// started as its own process exactly as Berth is, answering the same JSON body as the Berth
// route it is compared with (BENCH_BODY), so that only Berth's own work differs. Prints its port.
import Fastify from 'fastify';

const body = process.env.BENCH_BODY ?? '{}';
const app = Fastify({ logger: false });
app.get('/bare', async (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
