/**
 * Each function entry, imported alone in a fresh process, does no I/O (no socket, no
 * lookup, no timer) and loads no Google SDK: cold starts pay only for what runs, and a
 * function never loads another's dependencies. Also checks that code, manifest and the
 * exported manifest agree.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MANIFEST_JSON, manifestJson } from '../scripts/export-manifest.ts';
import { MANIFEST } from './manifest.ts';

const run = promisify(execFile);
const src = fileURLToPath(new URL('.', import.meta.url));

const PROBE = `
const entry = process.argv[1];
const before = new Set(process.getActiveResourcesInfo());
await import(entry);
const { createRequire } = await import('node:module');
const require = createRequire(import.meta.url);
const { getFunction } = require('@google-cloud/functions-framework/testing');
const loaded = Object.keys(require.cache).filter((p) => /node_modules\\/(@google-cloud\\/(firestore|pubsub|storage|secret-manager)|firebase-admin|google-gax|@grpc|sharp|@img)\\//.test(p));
const resources = process.getActiveResourcesInfo().filter((r) => !before.has(r));
console.log(JSON.stringify({ registered: typeof getFunction(process.argv[2]) === 'function', loaded, resources }));
`;

describe('function entries', () => {
  it.each(MANIFEST.map((f) => [f.name, f.entry]))(
    '%s registers itself and does no I/O at import',
    async (name, entry) => {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', PROBE, join(src, `${entry}.ts`), name],
        {
          env: { PATH: process.env.PATH, GOOGLE_CLOUD_PROJECT: 'demo-import-probe', TSX_DISABLE_CACHE: '1' },
          timeout: 30_000,
        },
      );
      const probe = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
        registered: boolean;
        loaded: string[];
        resources: string[];
      };
      expect(probe.registered).toBe(true);
      expect(probe.loaded).toEqual([]);
      expect(probe.resources).toEqual([]);
    },
    40_000,
  );

  it('every manifest entry has a module, and every module under an entry folder is in the manifest', async () => {
    const { readdir } = await import('node:fs/promises');
    const entries = new Set(MANIFEST.map((f) => f.entry));
    const folders = new Set([...entries].map((e) => e.split('/')[0]));
    for (const folder of folders) {
      for (const file of await readdir(join(src, folder!))) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
        expect(entries, `${folder}/${file} is not in the manifest`).toContain(
          `${folder}/${file.replace(/\.ts$/, '')}`,
        );
      }
    }
    expect(new Set(MANIFEST.map((f) => f.name)).size).toBe(MANIFEST.length);
  });

  it('terraform/manifest.json is up to date (run `npm run manifest`)', async () => {
    expect(await readFile(MANIFEST_JSON, 'utf8')).toBe(manifestJson());
  });
});
