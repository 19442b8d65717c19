/**
 * Code, manifest and Terraform agree. The HCL is parsed with HCL's own parser (the WASM
 * build in @cdktf/hcl2json); providers cannot be downloaded here, so what `terraform
 * validate` would check about module wiring is checked on the parsed files instead.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions, as hcl2json renders them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUTBOX } from '@taskman/shared/application/outbox';
import { COMMAND_TOPICS } from '@taskman/shared/domain/command.schema';
import { TOPICS } from '@taskman/shared/domain/event.schema';
import { WEBHOOK_KEYS_SECRET } from '@taskman/shared/webhooks/webhook-config';
import { beforeAll, describe, expect, it } from 'vitest';
import { gatewayDocument, OPENAPI_JSON, urlPlaceholder } from '../scripts/export-openapi.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TF = join(ROOT, 'terraform');
const MODULES = ['firestore', 'pubsub', 'storage', 'functions', 'gateway', 'monitoring'];

type Block = Record<string, unknown>;

/**
 * HCL's parser, compiled to WASM. Imported by a name the type checker does not follow: its
 * declarations pull in the DOM lib, whose fetch types break Node code elsewhere.
 */
const HCL2JSON = '@cdktf/hcl2json';
const { parse } = (await import(HCL2JSON)) as {
  parse: (filename: string, contents: string) => Promise<Record<string, unknown>>;
};
interface Module {
  dir: string;
  files: string[];
  text: string;
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
  modules: Record<string, Block>;
  resources: Record<string, Record<string, Block>>;
  locals: Block;
}

interface ManifestFunction {
  name: string;
  entry: string;
  trigger: { kind: string; topic?: string; schedule?: string; bucket?: string; method?: string };
}

const manifest = JSON.parse(readFileSync(join(TF, 'manifest.json'), 'utf8')) as {
  functions: ManifestFunction[];
};

/** A block of a parsed file: hcl2json gives each labelled block as a one-element list. */
function first(value: unknown): Block {
  return (Array.isArray(value) ? value[0] : value) as Block;
}

async function loadModule(dir: string): Promise<Module> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.tf'));
  const m: Module = {
    dir,
    files,
    text: '',
    variables: {},
    outputs: {},
    modules: {},
    resources: {},
    locals: {},
  };
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    m.text += `${text}\n`;
    const json = await parse(file, text);
    for (const [k, v] of Object.entries((json.variable ?? {}) as Block)) m.variables[k] = first(v);
    for (const [k, v] of Object.entries((json.output ?? {}) as Block)) m.outputs[k] = first(v);
    for (const [k, v] of Object.entries((json.module ?? {}) as Block)) m.modules[k] = first(v);
    for (const [type, byName] of Object.entries((json.resource ?? {}) as Block)) {
      m.resources[type] ??= {};
      for (const [name, v] of Object.entries(byName as Block)) (m.resources[type] as Block)[name] = first(v);
    }
    for (const l of (json.locals ?? []) as Block[]) Object.assign(m.locals, l);
  }
  return m;
}

function resource(m: Module, type: string, name: string): Block {
  const r = m.resources[type]?.[name];
  if (!r) throw new Error(`${m.dir}: no resource ${type}.${name}`);
  return r;
}

/** The same conversions as the Terraform: `authRegister` → `auth-register`. */
function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The Terraform without its comments, for looking at what it does rather than says. */
function code(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.replace(/^\s*(#|\/\/).*$/, ''))
    .join('\n');
}

describe('Terraform', () => {
  let root: Module;
  const modules: Record<string, Module> = {};

  beforeAll(async () => {
    root = await loadModule(TF);
    for (const name of MODULES) modules[name] = await loadModule(join(TF, 'modules', name));
  });

  it('has the files, typed and described variables and described outputs of every module', () => {
    for (const m of [root, ...Object.values(modules)]) {
      for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) {
        expect(m.files, `${m.dir} has ${f}`).toContain(f);
      }
      for (const [name, v] of Object.entries(m.variables)) {
        expect(v.type, `${m.dir} variable ${name} has a type`).toBeDefined();
        expect(v.description, `${m.dir} variable ${name} has a description`).toBeTruthy();
      }
      for (const [name, o] of Object.entries(m.outputs)) {
        expect(o.description, `${m.dir} output ${name} has a description`).toBeTruthy();
      }
    }
  });

  it('calls each module with exactly its variables (what `terraform validate` would check)', () => {
    const meta = new Set(['source', 'providers', 'depends_on', 'count', 'for_each']);
    expect(Object.keys(root.modules).sort()).toEqual([...MODULES].sort());
    for (const [call, args] of Object.entries(root.modules)) {
      const m = modules[call];
      expect(m, `module ${call}`).toBeDefined();
      if (!m) continue;
      expect(args.source).toBe(`./modules/${call}`);
      const passed = Object.keys(args).filter((k) => !meta.has(k));
      for (const a of passed) expect(Object.keys(m.variables), `module ${call} declares ${a}`).toContain(a);
      for (const [name, v] of Object.entries(m.variables)) {
        if (!('default' in v)) expect(passed, `module ${call} is given ${name}`).toContain(name);
      }
    }
  });

  it('creates every function of manifest.json, for_each over the decoded manifest', () => {
    expect(root.locals.manifest).toBe('${jsondecode(file("${path.module}/manifest.json"))}');
    expect(root.modules.functions?.functions).toBe('${local.manifest.functions}');
    expect(root.modules.pubsub?.functions).toBe('${local.manifest.functions}');
    const fns = modules.functions as Module;
    expect(fns.locals.functions).toBe('${{ for f in var.functions : f.name => f }}');
    for (const type of [
      'google_cloudfunctions2_function',
      'google_service_account',
      'google_storage_bucket_object',
    ]) {
      const name =
        type === 'google_cloudfunctions2_function' || type === 'google_service_account'
          ? 'function'
          : 'source';
      expect(resource(fns, type, name).for_each, `${type} per function`).toBe('${local.functions}');
    }
    const fn = resource(fns, 'google_cloudfunctions2_function', 'function');
    expect(first(fn.build_config).entry_point).toBe('${each.key}');
    // Which runtime, and that Google still supports it: functions/scripts/terraform/runtime-lifecycle.test.ts.
    expect(first(fn.build_config).runtime).toBe('${var.runtime}');
    // Publishing rights follow the outbox: the bundles that name its collection publish.
    expect(fns.locals.publishes).toContain(`"\\"${OUTBOX}\\""`);
    // Source archives are named by their content hash, so a code change redeploys.
    expect(resource(fns, 'google_storage_bucket_object', 'source').name).toContain('output_md5');
  });

  it('gives every function a valid, distinct service name and service account', () => {
    const ids = manifest.functions.map((f) => kebab(f.name));
    const accounts = ids.map((id) => `fn-${id}`.slice(0, 30).replace(/-+$/, ''));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(accounts).size).toBe(accounts.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/);
    for (const a of accounts) expect(a).toMatch(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/);
    // The Terraform converts names the way this test does.
    expect((modules.functions as Module).text).toContain(
      'lower(replace(name, "/([a-z0-9])([A-Z])/", "$1-$2"))',
    );
  });

  it('names no function anywhere but the manifest', () => {
    // A topic may share a function's kebab-case name (media-optimize): topics are not names.
    const topics = new Set<string>([
      ...TOPICS,
      ...Object.values(COMMAND_TOPICS),
      ...manifest.functions.flatMap((f) => (f.trigger.topic ? [f.trigger.topic] : [])),
    ]);
    const names = new Set(
      manifest.functions.flatMap((f) => [f.name, kebab(f.name)]).filter((n) => !topics.has(n)),
    );
    for (const m of [root, ...Object.values(modules)]) {
      const tokens = code(m.text).match(/[A-Za-z0-9_.-]+/g) ?? [];
      const named = tokens.filter((t) => names.has(t));
      expect(named, `${m.dir} hard-codes function names`).toEqual([]);
    }
  });

  it('creates every event topic, command topic and manifest topic, and a subscription per trigger', () => {
    expect([...(root.locals.event_topics as string[])].sort()).toEqual([...TOPICS].sort());
    expect([...(root.locals.command_topics as string[])].sort()).toEqual(
      Object.values(COMMAND_TOPICS).sort(),
    );
    expect(root.modules.pubsub?.event_topics).toBe('${local.event_topics}');
    expect(root.modules.pubsub?.command_topics).toBe('${local.command_topics}');
    const ps = modules.pubsub as Module;
    expect(ps.locals.topics).toBe(
      '${toset(concat(var.event_topics, var.command_topics, [for f in local.subscribed : f.trigger.topic]))}',
    );
    expect(ps.locals.subscribed).toBe(
      '${{ for f in var.functions : f.name => f if f.trigger.kind == "pubsub" }}',
    );
    expect(ps.locals.scheduled).toBe(
      '${{ for name, f in local.subscribed : name => f if f.trigger.schedule != null }}',
    );
    expect(resource(ps, 'google_pubsub_topic', 'topic').for_each).toBe('${local.topics}');
    const push = resource(ps, 'google_pubsub_subscription', 'push');
    expect(push.for_each).toBe('${local.subscribed}');
    expect(push.topic).toBe('${google_pubsub_topic.topic[each.value.trigger.topic].id}');
    expect(first(push.dead_letter_policy).dead_letter_topic).toBe(
      '${google_pubsub_topic.dead_letter[each.key].id}',
    );
    expect(first(push.push_config).push_endpoint).toContain(
      '/projects/${var.project_id}/topics/${each.value.trigger.topic}',
    );
    expect(resource(ps, 'google_cloud_scheduler_job', 'tick').for_each).toBe('${local.scheduled}');
    // The manifest's triggers are all of a kind the Terraform wires.
    const kinds = new Set(manifest.functions.map((f) => f.trigger.kind));
    for (const k of kinds) expect(['http', 'pubsub', 'storage']).toContain(k);
  });

  it('triggers storage functions on buckets the root module maps', () => {
    const buckets = root.modules.functions?.buckets as Record<string, string>;
    for (const f of manifest.functions.filter((x) => x.trigger.kind === 'storage')) {
      expect(Object.keys(buckets), `${f.name}'s bucket`).toContain(f.trigger.bucket);
    }
    const fn = resource(modules.functions as Module, 'google_cloudfunctions2_function', 'function');
    const trigger = first((fn.dynamic as Block).event_trigger);
    const content = first(trigger.content);
    expect(content.event_type).toBe('google.cloud.storage.object.v1.${event_trigger.value.event}');
    expect(content.retry_policy).toBe('RETRY_POLICY_RETRY');
  });

  it('creates the composite indexes from the file firebase.json names', () => {
    const firebase = JSON.parse(readFileSync(join(ROOT, 'firebase.json'), 'utf8')) as {
      firestore: { indexes: string };
    };
    const used = String(root.modules.firestore?.indexes_file).replace('${path.module}', TF);
    expect(resolve(used)).toBe(resolve(ROOT, firebase.firestore.indexes));
    const fs = modules.firestore as Module;
    expect(String(fs.locals.indexes)).toContain('jsondecode(file(var.indexes_file)).indexes');
    expect(resource(fs, 'google_firestore_index', 'composite').for_each).toBe('${local.indexes}');
    // The keys the module gives the indexes are distinct (a duplicate would fail the plan).
    const file = JSON.parse(readFileSync(resolve(used), 'utf8')) as {
      indexes: { collectionGroup: string; queryScope: string; fields: Record<string, string>[] }[];
    };
    const keys = file.indexes.map((i) =>
      [
        i.collectionGroup,
        i.queryScope,
        ...i.fields.map((f) => `${f.fieldPath}:${f.order ?? f.arrayConfig}`),
      ].join('|'),
    );
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('has a TTL policy for every collection whose documents the code gives an expiresAt', () => {
    const dir = join(ROOT, 'shared', 'src');
    const files = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    const collections = new Set<string>();
    for (const f of files) {
      const lines = readFileSync(join(dir, f), 'utf8').split('\n');
      const hits = lines.flatMap((l, i) =>
        l.includes('expiresAt: new Date(') && !l.includes('.toISOString()') ? [i] : [],
      );
      if (hits.length === 0) continue;
      // The collection constants the file declares; each hit belongs to the nearest use.
      const constants = new Map<string, string>();
      for (const l of lines) {
        const m = l.match(/^export const ([A-Z_]+) = '([A-Za-z]+)';/);
        if (m?.[1] && m[2]) constants.set(m[1], m[2]);
      }
      for (const hit of hits) {
        let best: { distance: number; collection: string } | undefined;
        lines.forEach((l, i) => {
          for (const [constant, collection] of constants) {
            if (l.startsWith(`export const ${constant}`) || !new RegExp(`\\b${constant}\\b`).test(l))
              continue;
            const distance = Math.abs(i - hit);
            if (!best || distance < best.distance) best = { distance, collection };
          }
        });
        expect(best, `${f}:${hit + 1} writes expiresAt to a known collection`).toBeDefined();
        if (best) collections.add(best.collection);
      }
    }
    expect([...collections].sort()).toEqual([
      'audit',
      'deadLetters',
      'idempotency',
      'media',
      'notifications',
      'processedEvents',
      'rateLimits',
      'webhookDeliveries',
    ]);
    const ttl = root.modules.firestore?.ttl_collections as string[];
    for (const c of collections) expect(ttl, `TTL policy on ${c}`).toContain(c);
    const fs = modules.firestore as Module;
    const field = resource(fs, 'google_firestore_field', 'ttl');
    expect(field.for_each).toBe('${toset(var.ttl_collections)}');
    expect(field.ttl_config).toBeDefined();
    expect(fs.variables.ttl_field?.default).toBe('expiresAt');
  });

  it('configures the gateway from the generated OpenAPI document, one backend per HTTP function', () => {
    const written = readFileSync(OPENAPI_JSON, 'utf8');
    expect(written, 'run `npm run openapi`').toBe(`${JSON.stringify(gatewayDocument(), null, 2)}\n`);
    const doc = JSON.parse(written) as {
      paths: Record<string, Record<string, { 'x-google-backend'?: string }>>;
      'x-google-api-management': { backends: Record<string, { address: string }> };
    };
    const http = manifest.functions.filter((f) => f.trigger.kind === 'http').map((f) => f.name);
    const backends = doc['x-google-api-management'].backends;
    expect(Object.keys(backends).sort()).toEqual([...http].sort());
    for (const [name, b] of Object.entries(backends)) expect(b.address).toBe(`\${${urlPlaceholder(name)}}`);
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) expect(Object.keys(backends)).toContain(op['x-google-backend']);
    }
    // templatefile must see nothing but the placeholders.
    expect(written).not.toContain('%{');
    const templated = new Set(written.match(/\$\{[^}]*\}/g) ?? []);
    expect([...templated].sort()).toEqual(http.map((n) => `\${${urlPlaceholder(n)}}`).sort());
    // The placeholder names Terraform computes, and the document it renders from them, are
    // checked by Terraform itself: functions/scripts/terraform/evaluate.test.ts.
    const gw = modules.gateway as Module;
    expect(gw.locals.document).toBe('${templatefile(var.openapi_template, local.placeholders)}');
    expect(root.modules.gateway?.openapi_template).toBe('${path.module}/openapi.json');
  });

  it('has an example tfvars that sets only declared variables, and every required one', async () => {
    const example = await parse(
      'terraform.tfvars.example',
      readFileSync(join(TF, 'terraform.tfvars.example'), 'utf8'),
    );
    for (const key of Object.keys(example)) expect(Object.keys(root.variables)).toContain(key);
    for (const [name, v] of Object.entries(root.variables)) {
      if (!('default' in v)) expect(Object.keys(example), `example sets ${name}`).toContain(name);
    }
  });

  const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  const hasTerraform = !terraform.error && terraform.status === 0;
  if (!hasTerraform) console.warn('terraform is not installed: skipping `terraform fmt -check`');

  it.skipIf(!hasTerraform)('is formatted (`terraform fmt -recursive -check`)', () => {
    expect(existsSync(TF)).toBe(true);
    const fmt = spawnSync('terraform', ['fmt', '-recursive', '-check', '-diff'], {
      cwd: TF,
      encoding: 'utf8',
    });
    expect(fmt.stdout, 'terraform fmt would change these files').toBe('');
    expect(fmt.status).toBe(0);
  });

  it.skipIf(!hasTerraform)(
    'creates each keyring secret, readable only by the functions that list it, never an environment variable',
    () => {
      const fns = modules.functions as Module;
      const listed = manifest.functions as (ManifestFunction & { secrets: string[]; keyrings: string[] })[];
      for (const name of ['webhooksCreate', 'deliverWebhook'])
        expect(listed.find((f) => f.name === name)?.keyrings, name).toEqual([WEBHOOK_KEYS_SECRET]);
      // The module's own expressions, evaluated by terraform over manifest.json.
      const expression = (e: unknown) =>
        String(e).replace(/^\$\{/, '').replace(/\}$/, '').replaceAll('var.functions', 'local.fs');
      const dir = mkdtempSync(join(tmpdir(), 'tf-secrets-'));
      try {
        writeFileSync(
          join(dir, 'main.tf'),
          `locals {\n  fs = jsondecode(file(${JSON.stringify(join(TF, 'manifest.json'))})).functions\n  secrets = ${expression(fns.locals.secrets)}\n  secret_grants = ${expression(fns.locals.secret_grants)}\n}\n`,
        );
        const out = spawnSync('terraform', ['console'], {
          cwd: dir,
          input: 'jsonencode({ secrets = local.secrets, grants = keys(local.secret_grants) })\n',
          encoding: 'utf8',
        });
        expect(out.status, out.stderr).toBe(0);
        const evaluated = JSON.parse(JSON.parse(out.stdout.trim().split('\n').at(-1)!)) as {
          secrets: string[];
          grants: string[];
        };
        const expected = listed.flatMap((f) => [...f.secrets, ...f.keyrings].map((s) => `${f.name}/${s}`));
        expect(evaluated.grants.sort()).toEqual(expected.sort());
        expect(evaluated.secrets).toContain(WEBHOOK_KEYS_SECRET);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      const access = resource(fns, 'google_secret_manager_secret_iam_member', 'access');
      expect(access.for_each).toBe('${local.secret_grants}');
      expect(access.role).toBe('roles/secretmanager.secretAccessor');
      const fn = resource(fns, 'google_cloudfunctions2_function', 'function');
      const env = first((first(fn.service_config).dynamic as Block).secret_environment_variables);
      expect(env.for_each).toBe('${toset(each.value.secrets)}');
    },
  );
});
