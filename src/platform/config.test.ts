import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { loadConfig } from './config.ts';

describe('configuration precedence: flags, then BERTH_* variables, then defaults', () => {
  it('defaults work on a laptop', () => {
    const c = loadConfig([], {});
    assert.equal(c.port, 8080);
    assert.equal(c.dataDir, resolve('./data'));
    assert.equal(c.databaseUrl, undefined);
  });
  it('variables override defaults and flags override variables', () => {
    const env = { BERTH_PORT: '9000', BERTH_DATA_DIR: '/tmp/x', BERTH_DATABASE_URL: 'postgres://h/db' };
    assert.equal(loadConfig([], env).port, 9000);
    const c = loadConfig(['--port', '9100', '--data-dir', '/tmp/y'], env);
    assert.equal(c.port, 9100);
    assert.equal(c.dataDir, '/tmp/y');
    assert.equal(c.databaseUrl, 'postgres://h/db');
  });
  it('rejects a bad port and an unknown flag, naming them', () => {
    assert.throws(() => loadConfig(['--port', 'http'], {}), /port must be an integer/);
    assert.throws(() => loadConfig(['--prot', '1'], {}), /--prot/);
  });
  it('bounds slow clients with defaults, each bound set by its variable', () => {
    assert.deepEqual(loadConfig([], {}).timeouts, { headers: 30, request: 60, body: 30, bodyMinRate: 1024, keepAlive: 72, idle: 300 });
    const c = loadConfig([], {
      BERTH_HEADERS_TIMEOUT: '5', BERTH_REQUEST_TIMEOUT: '10', BERTH_BODY_TIMEOUT: '0.5', BERTH_BODY_MIN_RATE: '4096', BERTH_KEEPALIVE_TIMEOUT: '65', BERTH_IDLE_TIMEOUT: '120',
    });
    assert.deepEqual(c.timeouts, { headers: 5, request: 10, body: 0.5, bodyMinRate: 4096, keepAlive: 65, idle: 120 });
    assert.throws(() => loadConfig([], { BERTH_BODY_TIMEOUT: '0' }), /BERTH_BODY_TIMEOUT must be a positive number/);
    assert.throws(() => loadConfig([], { BERTH_HEADERS_TIMEOUT: 'soon' }), /BERTH_HEADERS_TIMEOUT/);
  });
  it('reads the proxy, replica and registry-schedule settings here, rejecting a bad interval by name', () => {
    const c = loadConfig(['--replica-id', 'a'], { BERTH_TRUST_PROXY: 'true', BERTH_REPLICA_ID: 'b', BERTH_REGISTRY_GC_INTERVAL_HOURS: '0' });
    assert.equal(c.trustProxy, true);
    assert.equal(c.replicaId, 'a');
    assert.equal(c.registryGcIntervalHours, 0);
    const d = loadConfig([], {});
    assert.equal(d.trustProxy, false);
    assert.equal(d.replicaId, undefined);
    assert.equal(d.registryGcIntervalHours, 24);
    assert.throws(() => loadConfig([], { BERTH_REGISTRY_GC_INTERVAL_HOURS: '-1' }), /BERTH_REGISTRY_GC_INTERVAL_HOURS must be a number of hours/);
  });
  it('bounds registry uploads: defaults, variables, and bad values named', () => {
    assert.deepEqual(loadConfig([], {}).uploads, { maxBytes: 10 * 1024 ** 3, maxOpenPerPrincipal: 50, maxOpenPerProject: 200, idleMs: 900_000, sweepEveryMs: 60_000 });
    const c = loadConfig([], { BERTH_REGISTRY_MAX_UPLOAD_BYTES: '1048576', BERTH_REGISTRY_MAX_UPLOADS_PER_PRINCIPAL: '5', BERTH_REGISTRY_MAX_UPLOADS_PER_PROJECT: '8', BERTH_REGISTRY_UPLOAD_IDLE_SECONDS: '120', BERTH_REGISTRY_UPLOAD_SWEEP_SECONDS: '10' });
    assert.deepEqual(c.uploads, { maxBytes: 1_048_576, maxOpenPerPrincipal: 5, maxOpenPerProject: 8, idleMs: 120_000, sweepEveryMs: 10_000 });
    assert.throws(() => loadConfig([], { BERTH_REGISTRY_MAX_UPLOADS_PER_PROJECT: '0' }), /BERTH_REGISTRY_MAX_UPLOADS_PER_PROJECT must be a positive number/);
  });
  it('configures the admission webhook listener: port, the address API servers dial, certificate names and lifetime', () => {
    assert.deepEqual(loadConfig([], {}).webhook, {
      port: 9443, address: { host: '127.0.0.1' }, names: { dns: [], ips: ['127.0.0.1'] }, certLifetimeSeconds: 90 * 24 * 3600,
    });
    const c = loadConfig([], {
      BERTH_WEBHOOK_PORT: '0', BERTH_WEBHOOK_ADDRESS: 'Berth.Example:443', BERTH_WEBHOOK_HOSTS: 'berth.example, 10.0.0.5,berth-alt', BERTH_WEBHOOK_CERT_LIFETIME: '3',
    });
    assert.deepEqual(c.webhook, {
      port: 0, address: { host: 'berth.example', port: 443 }, names: { dns: ['berth.example', 'berth-alt'], ips: ['10.0.0.5'] }, certLifetimeSeconds: 3,
    });
    const cases: readonly [string, { host: string; port?: number }][] = [
      ['10.1.2.3', { host: '10.1.2.3' }], ['10.1.2.3:8443', { host: '10.1.2.3', port: 8443 }],
      ['fd00::1', { host: 'fd00::1' }], ['[fd00:0::1]:9443', { host: 'fd00::1', port: 9443 }],
    ];
    for (const [raw, address] of cases) assert.deepEqual(loadConfig([], { BERTH_WEBHOOK_ADDRESS: raw }).webhook.address, address, raw);
  });
  it('refuses bad webhook settings, naming the variable', () => {
    assert.throws(() => loadConfig([], { BERTH_WEBHOOK_PORT: '65536' }), /BERTH_WEBHOOK_PORT must hold a port from 0 to 65535, got "65536"/);
    assert.throws(() => loadConfig([], { BERTH_WEBHOOK_PORT: 'https' }), /BERTH_WEBHOOK_PORT/);
    assert.throws(() => loadConfig([], { BERTH_WEBHOOK_ADDRESS: 'https://berth.example' }), /BERTH_WEBHOOK_ADDRESS must be a host name or IP address with an optional :port/);
    assert.throws(() => loadConfig([], { BERTH_WEBHOOK_ADDRESS: 'berth.example:99999' }), /BERTH_WEBHOOK_ADDRESS must hold a port/);
    assert.throws(() => loadConfig([], { BERTH_WEBHOOK_HOSTS: 'ok.example,not_ok' }), /BERTH_WEBHOOK_HOSTS: "not_ok" is neither a DNS name nor an IP address/);
    assert.throws(() => loadConfig([], { BERTH_WEBHOOK_CERT_LIFETIME: '0' }), /BERTH_WEBHOOK_CERT_LIFETIME must be a positive number/);
  });
});
