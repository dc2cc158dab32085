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
});
