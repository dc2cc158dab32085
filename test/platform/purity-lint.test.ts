// The purity lint (eslint.config.js) catches I/O in pure logic files of the areas and of the
// platform, by either spelling of a Node built-in and through the global fetch, and
// configuration read from process.env anywhere but the CLI (which hands it to loadConfig); I/O
// roles stay free to do I/O.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** The rule ids that fire on `code` as if it were the file at `path` (which need not exist). */
async function firing(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result.messages.map((m) => m.ruleId ?? m.message).sort();
}

const io = [
  "import fs from 'fs';\nexport const read = (p: string): string => fs.readFileSync(p, 'utf8');\n",
  "export async function get(url: string): Promise<string> {\n  return (await fetch(url)).text();\n}\n",
  "import { connect } from 'net';\nexport const dial = (port: number) => connect(port);\n",
  "import { readFile } from 'node:fs/promises';\nexport const read = (p: string) => readFile(p);\n",
  "export const get = (url: string) => globalThis.fetch(url);\n",
  "export const load = (name: string) => import(name);\n",
];

describe('purity lint', () => {
  for (const path of ['src/compute/purity-fixture.ts', 'src/images/purity-fixture.ts', 'src/platform/audit/purity-fixture.ts', 'src/platform/purity-fixture.ts']) {
    it(`refuses I/O in the pure file ${path}`, async () => {
      for (const code of io) assert.equal((await firing(path, code)).length, 1, code);
    });
  }

  it('refuses a database import from a pure platform file by its relative path', async () => {
    assert.deepEqual(await firing('src/platform/identity/purity-fixture.ts', "import { sql } from '../db/database.ts';\nexport const q = sql;\n"), ['no-restricted-imports']);
  });

  it('leaves the I/O roles free to do I/O', async () => {
    for (const path of ['src/images/store.ts', 'src/platform/db/purity-fixture.ts', 'src/platform/leader.ts', 'src/images/blobstore/drivers/purity-fixture.ts']) {
      for (const code of io.slice(0, 4)) assert.deepEqual(await firing(path, code), [], `${path}: ${code}`);
    }
  });

  it('leaves migrations files free to build the schema with kysely', async () => {
    const code = "import { sql } from 'kysely';\nexport const now = sql`now()`;\n";
    for (const path of ['src/tenancy/migrations.ts', 'src/tenancy/port-migrations.ts']) assert.deepEqual(await firing(path, code), [], path);
    assert.deepEqual(await firing('src/tenancy/purity-fixture.ts', code), ['no-restricted-imports']);
  });

  it('refuses process.env anywhere in src/ but the CLI', async () => {
    const code = 'export const hours = Number(process.env.BERTH_X);\n';
    assert.deepEqual(await firing('src/images/index.ts', code), ['no-restricted-properties']);
    assert.deepEqual(await firing('src/platform/http/app.ts', code), ['no-restricted-properties']);
    assert.deepEqual(await firing('src/platform/config.ts', code), ['no-restricted-properties']);
    assert.deepEqual(await firing('src/cli/purity-fixture.ts', code), []);
  });
});
