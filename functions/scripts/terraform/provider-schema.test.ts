/**
 * terraform/ against the schemas of the provider versions it pins (read from the
 * @cdktf/provider-* packages), and the same check failing on a copy with one mistake of
 * each kind in it.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mutatedCopy } from './hcl.ts';
import { ProviderSchema, providerSchemaProblems, satisfies } from './provider-schema.ts';

const TF = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'terraform');

describe('Terraform against the pinned providers’ schemas', () => {
  let real: string[];
  // Reads the google and google-beta schemas (about 100 MB each), once for the whole file.
  beforeAll(() => {
    real = providerSchemaProblems(TF);
  });

  it('pins the versions the schema packages were generated from, and nothing is rejected', () => {
    expect(real).toEqual([]);
  });

  it('reads the schemas from the packages: arguments, blocks, required ones and attributes', () => {
    const google = ProviderSchema.load('@cdktf/provider-google');
    const fn = google.classOf('managed', 'google_cloudfunctions2_function') as string;
    const args = google.arguments(`${fn}Config`);
    expect(args.get('name')).toMatchObject({ required: true });
    expect(args.get('build_config')?.block).toBeDefined();
    const build = google.arguments(args.get('build_config')?.block as string);
    expect([...build.keys()]).toEqual(
      expect.arrayContaining(['runtime', 'entry_point', 'docker_repository']),
    );
    // Terraform names come from the registry links: `build` is `buildAttribute` in jsii.
    const renamed = google.classOf('managed', 'google_cloudbuild_trigger') as string;
    expect(google.arguments(`${renamed}Config`).get('build')?.jsii).toBe('buildAttribute');
    expect(google.classOf('managed', 'google_api_gateway_api')).toBeUndefined();
    expect(
      ProviderSchema.load('@cdktf/provider-google-beta').classOf('managed', 'google_api_gateway_api'),
    ).toBeDefined();
    expect(ProviderSchema.load('@cdktf/provider-archive').classOf('data', 'archive_file')).toBeDefined();
  });

  it('reads version constraints as Terraform does', () => {
    expect(satisfies('6.50.0', '~> 6.0')).toBe(true);
    expect(satisfies('7.0.0', '~> 6.0')).toBe(false);
    expect(satisfies('6.50.3', '~> 6.50.0')).toBe(true);
    expect(satisfies('6.51.0', '~> 6.50.0')).toBe(false);
    expect(satisfies('2.7.1', '>= 2.4, < 3')).toBe(true);
    expect(satisfies('6.50.0', '6.50.0')).toBe(true);
    expect(satisfies('6.50.0', '= 6.49.0')).toBe(false);
  });

  describe('on a copy with one mistake of each kind', () => {
    // Each edit is independent of the others, so each must produce exactly its own problem.
    const mistakes: [string, string, [string | RegExp, string], RegExp][] = [
      [
        'a misspelt argument',
        'modules/functions/main.tf',
        ['  display_name = "Taskman function', '  display_nam  = "Taskman function'],
        /google_service_account\.function: no argument or block "display_nam" \(did you mean "display_name"\?\)/,
      ],
      [
        'a missing required argument',
        'modules/pubsub/main.tf',
        [
          '  role    = "roles/pubsub.publisher"\n  member  = "serviceAccount:',
          '  member  = "serviceAccount:',
        ],
        /google_pubsub_topic_iam_member\.publisher: missing required "role"/,
      ],
      [
        'a wrong attribute',
        'modules/functions/outputs.tf',
        ['f.service_config[0].uri', 'f.service_config[0].url'],
        /google_cloudfunctions2_function\.function\[…\]\.service_config\[…\] has no attribute "url" \(did you mean "uri"\?\)/,
      ],
      [
        'a misspelt nested block',
        'modules/storage/main.tf',
        ['  cors {', '  core {'],
        /google_storage_bucket\.media: no argument or block "core" \(did you mean "cors"\?\)/,
      ],
      [
        'an argument in the wrong nested block',
        'modules/pubsub/main.tf',
        [
          '    minimum_backoff = var.delivery.minimum_backoff',
          '    min_backoff = var.delivery.minimum_backoff',
        ],
        /google_pubsub_subscription\.push\.retry_policy: no argument or block "min_backoff"/,
      ],
      [
        'a resource type misspelt',
        'modules/functions/main.tf',
        [
          'resource "google_storage_bucket_iam_member" "objects"',
          'resource "google_storage_bucket_iam_membr" "objects"',
        ],
        /has no resource google_storage_bucket_iam_membr \(did you mean "google_storage_bucket_iam_member"\?\)/,
      ],
      [
        'a beta-only resource on the GA provider',
        'modules/gateway/main.tf',
        [
          'resource "google_api_gateway_gateway" "gateway" {\n  provider = google-beta\n',
          'resource "google_api_gateway_gateway" "gateway" {\n',
        ],
        /hashicorp\/google 6\.50\.0 has no resource google_api_gateway_gateway \(google-beta has it: provider = google-beta\)/,
      ],
      [
        'a for_each resource read without an index',
        'modules/pubsub/main.tf',
        ['google_pubsub_topic.dead_letter[each.key].id', 'google_pubsub_topic.dead_letter.id'],
        /google_pubsub_topic\.dead_letter has for_each: index it before \.id/,
      ],
      [
        'a reference to an undeclared resource',
        'modules/monitoring/main.tf',
        [
          'google_monitoring_notification_channel.email.id]',
          'google_monitoring_notification_channel.mail.id]',
        ],
        /google_monitoring_notification_channel\.mail is not declared in modules\/monitoring/,
      ],
      [
        'a provider pinned loosely',
        'versions.tf',
        ['      version = "2.7.1"', '      version = "~> 2.4"'],
        /hashicorp\/archive is constrained to "~> 2\.4" but the schema checked is 2\.7\.1 .*: pin "2\.7\.1"/,
      ],
      [
        'a module given only some of its providers',
        'main.tf',
        ['    google      = google\n', ''],
        /module "gateway" is given providers \{google-beta\} but uses "google" too/,
      ],
    ];
    let copy: ReturnType<typeof mutatedCopy>;
    let problems: string[] = [];

    beforeAll(() => {
      const edits: Record<string, [string | RegExp, string][]> = {};
      for (const [, file, edit] of mistakes) edits[file] = [...(edits[file] ?? []), edit];
      copy = mutatedCopy(TF, edits);
      problems = providerSchemaProblems(copy.dir);
    });
    afterAll(() => copy?.cleanup());

    it.each(mistakes)('reports %s', (_, __, ___, expected) => {
      expect(
        problems.filter((p) => expected.test(p)),
        problems.join('\n'),
      ).toHaveLength(1);
    });

    it('reports nothing else', () => {
      const unexplained = problems.filter((p) => !mistakes.some(([, , , expected]) => expected.test(p)));
      expect(unexplained).toEqual([]);
    });
  });
});
