// The peer of bench/api.ts: a bare Fastify route with no authentication, database or audit,
// started as its own process exactly as Berth is. Prints its port on stdout.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/bare', async () => ({ name: 'admin', platformRoles: ['platform-admin'] }));
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
process.stdout.write(`${typeof addr === 'object' && addr ? addr.port : 0}\n`);
process.once('SIGTERM', () => { void app.close().then(() => process.exit(0)); });
