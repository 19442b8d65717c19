/**
 * Each function's service account holds what its code calls, and no role broader than that.
 * The grants are what Terraform computes: every IAM member resource of the functions module
 * whose member is a function's identity is read from main.tf, and the locals its for_each
 * names are evaluated by the `terraform` binary (evaluate.ts) on the real manifest, with a
 * stand-in build whose package.json files list the clients each entry's wiring pulls in.
 * Permissions of the predefined roles come from a dated table of Google's reference.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluate, terraformVersion } from '../scripts/terraform/evaluate.ts';
import { mutatedCopy, rawItems } from '../scripts/terraform/hcl.ts';

const SRC = dirname(fileURLToPath(import.meta.url));
const TF = join(SRC, '..', '..', 'terraform');
const FUNCTIONS_MODULE = join(TF, 'modules', 'functions');

/**
 * The predefined roles the functions module grants, with the permissions that matter here
 * (a role's whole list is longer). Read 2026-12-03 from
 * https://cloud.google.com/iam/docs/roles-permissions/firebaseauth,
 * https://cloud.google.com/iam/docs/roles-permissions/storage (legacyBucketReader: storage.buckets.get
 * and storage.objects.list; objectAdmin: storage.objects.* and no storage.buckets.*),
 * https://cloud.google.com/iam/docs/roles-permissions/pubsub,
 * https://cloud.google.com/iam/docs/roles-permissions/iam,
 * https://cloud.google.com/iam/docs/roles-permissions/datastore and
 * https://cloud.google.com/iam/docs/roles-permissions/secretmanager.
 */
export const ROLE_PERMISSIONS: Record<string, string[]> = {
  'roles/firebaseauth.viewer': ['firebaseauth.configs.get', 'firebaseauth.users.get'],
  'roles/firebaseauth.admin': [
    'firebaseauth.configs.get',
    'firebaseauth.users.create',
    'firebaseauth.users.delete',
    'firebaseauth.users.get',
    'firebaseauth.users.update',
  ],
  'roles/storage.legacyBucketReader': ['storage.buckets.get', 'storage.objects.list'],
  'roles/storage.objectViewer': ['storage.objects.get', 'storage.objects.list'],
  'roles/storage.objectAdmin': [
    'storage.objects.create',
    'storage.objects.delete',
    'storage.objects.get',
    'storage.objects.list',
    'storage.objects.update',
  ],
  'roles/pubsub.viewer': ['pubsub.topics.get', 'pubsub.topics.list', 'pubsub.subscriptions.list'],
  'roles/iam.serviceAccountTokenCreator': [
    'iam.serviceAccounts.getAccessToken',
    'iam.serviceAccounts.signBlob',
  ],
  'roles/datastore.user': [
    'datastore.entities.get',
    'datastore.entities.create',
    'datastore.entities.update',
  ],
  'roles/secretmanager.secretAccessor': ['secretmanager.versions.access'],
};

interface ManifestFunction {
  name: string;
  entry: string;
  trigger: { kind: string; method?: string };
  auth?: string;
}

/**
 * What a function's code calls, beyond Firestore (every function): derived from its entry
 * and the adapters the use case reaches.
 */
function needs(f: ManifestFunction): string[] {
  const need: string[] = [];
  // Every authenticated request: FirebaseIdentityProvider.verifyIdToken calls auth.getUser.
  if (f.auth === 'user' || f.auth === 'admin') need.push('firebaseauth.users.get');
  // Login and refresh verify the ID token they obtained (signIn/refresh → verifyIdToken).
  if (f.entry === 'auth/login' || f.entry === 'auth/refresh') need.push('firebaseauth.users.get');
  // createUser + setCustomUserClaims; revokeRefreshTokens; setCustomUserClaims.
  if (f.entry === 'auth/register') need.push('firebaseauth.users.create', 'firebaseauth.users.update');
  if (f.entry === 'auth/logout' || f.entry === 'users/set-role') need.push('firebaseauth.users.update');
  // checkHealth: bucket(...).getMetadata() and pubsub.getTopics().
  if (f.entry === 'health/health') need.push('storage.buckets.get', 'pubsub.topics.list');
  // downloadUrl stats the object and signs a GET URL; variantUrl signs a GET URL (signBlob
  // by the function's own identity; the URL works with the signer's storage.objects.get).
  if (f.entry === 'media/download' || f.entry === 'media/thumbnail') {
    need.push('storage.objects.get', 'iam.serviceAccounts.signBlob');
  }
  return need;
}

/** Permissions a function must not hold: what its code never does. */
function forbidden(f: ManifestFunction): string[] {
  const deny: string[] = [];
  // Only register, logout and set-role write accounts.
  if (!['auth/register', 'auth/logout', 'users/set-role'].includes(f.entry)) {
    deny.push('firebaseauth.users.create', 'firebaseauth.users.update', 'firebaseauth.users.delete');
  }
  // The read-only media queries and the probes write no object.
  if (
    [
      'health/health',
      'health/openapi',
      'media/get',
      'media/list',
      'media/download',
      'media/thumbnail',
    ].includes(f.entry)
  ) {
    deny.push('storage.objects.create', 'storage.objects.delete', 'storage.objects.update');
  }
  // The OpenAPI document is static: no Pub/Sub, no bucket.
  if (f.entry === 'health/openapi')
    deny.push('pubsub.topics.list', 'storage.buckets.get', 'storage.objects.get');
  return deny;
}

/** The npm clients an entry's bundle carries, from the wiring it imports. */
function bundleDependencies(entry: string): string[] {
  const source = readFileSync(join(SRC, `${entry}.ts`), 'utf8');
  const deps = new Set<string>();
  if (/wiring\/(app|media)-deps/.test(source)) deps.add('@google-cloud/pubsub').add('firebase-admin');
  if (/wiring\/media-deps/.test(source)) deps.add('@google-cloud/storage');
  return [...deps];
}

interface Grant {
  resource: string;
  role: string;
  fn: string;
}

/** Every IAM member grant to a function's identity in `moduleDir`, as Terraform computes it. */
function grants(moduleDir: string, functions: ManifestFunction[], distDir: string): Grant[] {
  const resources = rawItems(readFileSync(join(moduleDir, 'main.tf'), 'utf8'))
    .blocks.filter((b) => b.type === 'resource' && /_iam_member$/.test(b.labels[0] ?? ''))
    .map((b) => ({
      labels: b.labels,
      attrs: Object.fromEntries(rawItems(b.body).attributes.map((a) => [a.name, a.expr])),
    }))
    .filter((r) => /google_service_account\.function\[/.test(r.attrs.member ?? ''));
  const locals = resources.map((r) => {
    const ref = /local\.([A-Za-z_][A-Za-z0-9_]*)/.exec(r.attrs.for_each ?? '');
    if (!ref) throw new Error(`${r.labels.join('.')}: for_each names no local`);
    return `local.${ref[1]}`;
  });
  const values = evaluate(moduleDir, [...new Set(locals)], {
    functions,
    env: {},
    dist_dir: distDir,
    buckets: { media: 'taskman-test-media' },
  });
  return resources.flatMap((r, i) => {
    const value = values[locals[i] as string];
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.map((v) => [String(v), v])
      : Object.entries(value as Record<string, unknown>);
    return entries.map(([key, v]) => {
      const item = (typeof v === 'object' && v !== null ? v : {}) as { function?: string; role?: string };
      const role = r.attrs.role?.startsWith('"') ? (JSON.parse(r.attrs.role) as string) : item.role;
      if (!role) throw new Error(`${r.labels.join('.')}: no role for ${key}`);
      return { resource: r.labels.join('.'), role, fn: item.function ?? key };
    });
  });
}

function check(held: Grant[], functions: ManifestFunction[]): string[] {
  const problems: string[] = [];
  for (const g of held) {
    if (!ROLE_PERMISSIONS[g.role]) problems.push(`${g.resource}: ${g.role} is not in the role table`);
  }
  for (const f of functions) {
    const perms = new Set(held.filter((g) => g.fn === f.name).flatMap((g) => ROLE_PERMISSIONS[g.role] ?? []));
    for (const p of needs(f)) if (!perms.has(p)) problems.push(`${f.name} lacks ${p}`);
    for (const p of forbidden(f)) if (perms.has(p)) problems.push(`${f.name} holds ${p} it never uses`);
  }
  return problems;
}

const version = terraformVersion();

describe.skipIf(!version)('function identities (IAM grants as Terraform computes them)', () => {
  const manifest = JSON.parse(readFileSync(join(TF, 'manifest.json'), 'utf8')) as {
    functions: ManifestFunction[];
  };
  const functions = manifest.functions;
  let dist: string;

  beforeAll(() => {
    dist = mkdtempSync(join(tmpdir(), 'taskman-iam-dist-'));
    for (const f of functions) {
      mkdirSync(join(dist, f.name));
      const dependencies = Object.fromEntries(bundleDependencies(f.entry).map((d) => [d, '*']));
      writeFileSync(join(dist, f.name, 'package.json'), JSON.stringify({ dependencies }));
      writeFileSync(join(dist, f.name, 'index.js'), '');
    }
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('grants every function what its code calls, and nothing it never does', () => {
    expect(check(grants(FUNCTIONS_MODULE, functions, dist), functions)).toEqual([]);
  });

  it('the stand-in build matches the wiring (the media entries carry the Storage client)', () => {
    expect(bundleDependencies('media/download')).toContain('@google-cloud/storage');
    expect(bundleDependencies('health/openapi')).toEqual([]);
  });

  it('fails on the grants before the fix: no Firebase Auth read role, objectAdmin everywhere, Pub/Sub for openapi', () => {
    const before = mutatedCopy(FUNCTIONS_MODULE, {
      'main.tf': [
        [/resource "google_project_iam_member" "firebase_auth_viewer" \{[\s\S]*?\n\}\n/, ''],
        ['role   = each.value.role', 'role   = "roles/storage.objectAdmin"'],
        [' && contains(local.bundle_dependencies[name], "@google-cloud/pubsub")', ''],
      ],
    });
    try {
      const problems = check(grants(before.dir, functions, dist), functions);
      expect(problems).toContain('tasksGet lacks firebaseauth.users.get');
      expect(problems).toContain('usersList lacks firebaseauth.users.get');
      expect(problems).toContain('health lacks storage.buckets.get');
      expect(problems).toContain('mediaGet holds storage.objects.delete it never uses');
      expect(problems).toContain('openapi holds pubsub.topics.list it never uses');
    } finally {
      before.cleanup();
    }
  });
});
