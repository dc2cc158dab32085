// Prometheus metrics: one registry per server (no globals), request durations by route and status,
// the database pool, and the process.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from '../db/database.ts';

/** The server's metrics. Explicit object; register more on `registry`. */
export class Metrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly auditFailures: Counter;

  constructor(pool: () => PoolStats) {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
    this.requestDuration = new Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.auditFailures = new Counter({ name: 'berth_audit_write_failures_total', help: 'Refusals that could not be written to the audit log', registers: [this.registry] });
    for (const [key, help] of [['total', 'connections open'], ['idle', 'connections idle'], ['waiting', 'requests waiting for a connection']] as const) {
      new Gauge({ name: `berth_db_pool_${key}`, help: `Database pool: ${help}`, registers: [this.registry], collect() { this.set(pool()[key]); } });
    }
  }
}
