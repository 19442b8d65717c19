/**
 * The expressions of terraform/ that need no provider, evaluated by the `terraform` binary
 * on the real inputs: the root's manifest and shared environment, the functions module's
 * function map and names, and the gateway's document rendered by `templatefile` from the
 * real openapi.json. Then the same on a copy with the 2026 regression put back.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { urlPlaceholder } from '../export-openapi.ts';
import { evaluate, terraformVersion } from './evaluate.ts';
import { mutatedCopy } from './hcl.ts';

const TF = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'terraform');

interface ManifestFunction {
  name: string;
  trigger: { kind: string };
  env: Record<string, string>;
}

const version = terraformVersion();
if (!version) console.warn('terraform is not installed: skipping the tests that run it (evaluate.test.ts)');

describe.skipIf(!version)(`Terraform (${version}) evaluating terraform/`, () => {
  let functions: ManifestFunction[];
  let commonEnv: Record<string, string>;
  let ids: Record<string, string>;
  let environment: Record<string, Record<string, string>>;
  let httpNames: string[];
  let uris: Record<string, string>;

  beforeAll(() => {
    const root = evaluate(TF, ['local.manifest', 'local.common_env'], { project_id: 'taskman-test' });
    functions = (root['local.manifest'] as { functions: ManifestFunction[] }).functions;
    commonEnv = root['local.common_env'] as Record<string, string>;
    const fns = evaluate(
      join(TF, 'modules', 'functions'),
      ['local.ids', 'local.environment', 'output.http_function_names'],
      {
        functions,
        env: commonEnv,
        dist_dir: join(TF, 'no-build-here'),
        buckets: { media: 'taskman-test-media' },
      },
    );
    ids = fns['local.ids'] as Record<string, string>;
    environment = fns['local.environment'] as Record<string, Record<string, string>>;
    httpNames = fns['output.http_function_names'] as string[];
    uris = Object.fromEntries(functions.map((f) => [f.name, `https://${ids[f.name]}-x7k2q-ew.a.run.app`]));
  });

  it('reads the same manifest the code exports', () => {
    const file = JSON.parse(readFileSync(join(TF, 'manifest.json'), 'utf8')) as {
      functions: ManifestFunction[];
    };
    expect(functions.map((f) => f.name)).toEqual(file.functions.map((f) => f.name));
    expect(commonEnv.GOOGLE_CLOUD_PROJECT).toBe('taskman-test');
    expect(commonEnv.MEDIA_BUCKET).toBe('taskman-test-media');
  });

  it('gives every function a distinct, valid Cloud Run service name', () => {
    expect(Object.keys(ids).sort()).toEqual(functions.map((f) => f.name).sort());
    for (const id of Object.values(ids)) expect(id).toMatch(/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/);
    expect(new Set(Object.values(ids)).size).toBe(functions.length);
    expect(ids.authRegister).toBe('auth-register');
  });

  it('gives every function the shared environment, its own, and LOG_EXECUTION_ID as Cloud Functions sets it', () => {
    for (const f of functions) {
      // Cloud Functions adds LOG_EXECUTION_ID=true itself; leaving it out shows as a change each plan.
      expect(environment[f.name], f.name).toEqual({ ...commonEnv, ...f.env, LOG_EXECUTION_ID: 'true' });
    }
  });

  describe('the gateway document (templatefile over the real openapi.json: seconds)', () => {
    let placeholders: Record<string, string>;
    let text: string;
    beforeAll(() => {
      const gw = evaluate(join(TF, 'modules', 'gateway'), ['local.placeholders', 'local.document'], {
        openapi_template: join(TF, 'openapi.json'),
        http_functions: httpNames,
        function_uris: uris,
      });
      placeholders = gw['local.placeholders'] as Record<string, string>;
      text = gw['local.document'] as string;
    });

    it('fills every placeholder, and the document parses', () => {
      expect(httpNames).toEqual(
        functions
          .filter((f) => f.trigger.kind === 'http')
          .map((f) => f.name)
          .sort(),
      );
      expect(Object.keys(placeholders).sort()).toEqual(httpNames.map(urlPlaceholder).sort());
      expect(text).not.toMatch(/\$\{/);
      expect(() => JSON.parse(text)).not.toThrow();
    });

    it('points every backend at its function', () => {
      const doc = JSON.parse(text) as {
        'x-google-api-management': { backends: Record<string, { address: string; jwtAudience: string }> };
      };
      const backends = doc['x-google-api-management'].backends;
      expect(Object.keys(backends).sort()).toEqual([...httpNames].sort());
      for (const [name, b] of Object.entries(backends)) {
        expect(b.address, name).toBe(uris[name]);
        expect(b.jwtAudience, name).toBe(uris[name]);
      }
    });
  });

  describe('on a copy whose placeholder names use `$1_` (read by Terraform as a group named "1_")', () => {
    let failure: unknown;
    let names: string[];
    beforeAll(() => {
      const copy = mutatedCopy(TF, { 'modules/gateway/main.tf': [['"$${1}_$${2}"', '"$1_$2"']] });
      const gateway = join(copy.dir, 'modules', 'gateway');
      const vars = {
        openapi_template: join(TF, 'openapi.json'),
        http_functions: httpNames,
        function_uris: uris,
      };
      try {
        names = Object.keys(evaluate(gateway, ['local.placeholders'], vars)['local.placeholders'] as object);
        evaluate(gateway, ['local.document'], vars);
      } catch (error) {
        failure = error;
      } finally {
        copy.cleanup();
      }
    });

    it('gets the names wrong for every camelCase function', () => {
      expect(names).toContain('FUNCTION_URL_HEALTH');
      expect(names).toContain('FUNCTION_URL_AUTREGISTER');
      expect(names).not.toContain('FUNCTION_URL_AUTH_REGISTER');
    });

    it('stops at templatefile, as the plan did', () => {
      expect(String(failure)).toMatch(/vars map does not contain key "FUNCTION_URL_AUTH_REGISTER"/);
    });
  });

  it('refuses an expression that needs a provider rather than guessing', () => {
    expect(() =>
      evaluate(join(TF, 'modules', 'pubsub'), ['local.pubsub_agent'], { project_id: 'taskman-test' }),
    ).toThrow(/reads data\.google_project: it needs a provider/);
  });
});
