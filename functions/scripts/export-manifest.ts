/**
 * Writes the manifest's deployable facts (no schemas) to `terraform/manifest.json`, which
 * Terraform reads with `jsondecode(file(...))`. A test fails when the file is stale.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST } from '../src/manifest.ts';

export const MANIFEST_JSON = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'terraform',
  'manifest.json',
);

/** The JSON Terraform reads. */
export function manifestJson(): string {
  const functions = MANIFEST.map((f) => ({
    name: f.name,
    entry: f.entry,
    trigger: f.trigger,
    memory: f.memory,
    timeoutSeconds: f.timeoutSeconds,
    secrets: f.secrets,
    keyrings: f.keyrings ?? [],
    env: f.env,
    ...(f.api ? { auth: f.api.auth } : {}),
  }));
  return `${JSON.stringify({ functions }, null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(MANIFEST_JSON, manifestJson());
  console.log(`Wrote ${MANIFEST_JSON}`);
}
