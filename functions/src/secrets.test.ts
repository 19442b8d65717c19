/**
 * Every secret a function reads as an environment variable (`secrets`, at `latest`) has a
 * version Terraform creates in the same apply, before the function: a secret created empty
 * would keep the function from starting on the first apply. The set of secrets is what
 * Terraform computes (evaluate.ts) over the real manifest.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate, terraformVersion } from '../scripts/terraform/evaluate.ts';
import { mutatedCopy, rawItems } from '../scripts/terraform/hcl.ts';

const TF = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'terraform');

interface ManifestFunction {
  name: string;
  secrets: string[];
}

const manifest = JSON.parse(readFileSync(join(TF, 'manifest.json'), 'utf8')) as {
  functions: ManifestFunction[];
};

function attributes(body: string): Record<string, string> {
  return Object.fromEntries(rawItems(body).attributes.map((a) => [a.name, a.expr]));
}

/** What keeps a function from finding a version of one of its secrets, in the copy at `tf`. */
function problems(tf: string): string[] {
  const found: string[] = [];
  const dir = join(tf, 'modules', 'functions');
  const blocks = rawItems(readFileSync(join(dir, 'main.tf'), 'utf8')).blocks;
  const version = blocks.find(
    (b) => b.type === 'resource' && b.labels[0] === 'google_secret_manager_secret_version',
  );
  if (!version) return ['no google_secret_manager_secret_version in the functions module'];
  const attrs = attributes(version.body);
  const local = /local\.([A-Za-z_][A-Za-z0-9_]*)/.exec(attrs.for_each ?? '')?.[1];
  if (!local) return ['the secret versions are not for_each over a local'];
  const created = evaluate(dir, [`local.${local}`], { functions: manifest.functions })[
    `local.${local}`
  ] as string[];
  if (!/var\.secret_values\[each\.key\]/.test(attrs.secret_data ?? '')) {
    found.push('a version does not take its value from var.secret_values');
  }
  const fn = blocks.find((b) => b.type === 'resource' && b.labels[0] === 'google_cloudfunctions2_function');
  if (
    !fn ||
    !attributes(fn.body).depends_on?.includes(`google_secret_manager_secret_version.${version.labels[1]}`)
  ) {
    found.push('the functions do not wait for the secret versions');
  }
  const call = rawItems(readFileSync(join(tf, 'main.tf'), 'utf8')).blocks.find(
    (b) => b.type === 'module' && b.labels[0] === 'functions',
  );
  const given = [
    ...(attributes(call?.body ?? '').secret_values ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_-]*)\s*=/g),
  ].map((m) => m[1]);
  for (const f of manifest.functions) {
    for (const s of f.secrets) {
      if (!created.includes(s)) found.push(`${f.name}: no version of ${s} is created`);
      if (!given.includes(s)) found.push(`${f.name}: the root gives no value for ${s}`);
    }
  }
  return found;
}

const version = terraformVersion();

describe.skipIf(!version)('secrets read as environment variables', () => {
  it('the manifest has some (FIREBASE_API_KEY for the sign-in functions)', () => {
    expect(manifest.functions.flatMap((f) => f.secrets)).toContain('FIREBASE_API_KEY');
  });

  it('each has a version Terraform creates from a variable, before the functions', () => {
    expect(problems(TF)).toEqual([]);
  });

  it('fails on the module before the fix: secrets created empty, versions added by hand after the apply', () => {
    const before = mutatedCopy(TF, {
      'modules/functions/main.tf': [
        [/resource "google_secret_manager_secret_version" "value" \{[\s\S]*?\n\}\n/, ''],
        ['    google_secret_manager_secret_version.value,\n', ''],
      ],
      'main.tf': [[/\n {2}# A value for every secret[^\n]*\n {2}secret_values = [^\n]*\n/, '\n']],
    });
    try {
      expect(problems(before.dir)).toEqual([
        'no google_secret_manager_secret_version in the functions module',
      ]);
    } finally {
      before.cleanup();
    }
  });
});
