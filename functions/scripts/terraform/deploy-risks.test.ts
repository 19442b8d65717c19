/**
 * What a plan accepts but the cloud punishes later, checked on terraform/ and shown failing
 * on a copy with each mistake put back:
 * - a lifecycle rule deleting the source archives the functions' build config names;
 * - function images piling up in a repository without a cleanup policy;
 * - alert policies created right after their log-based metrics (404 "Cannot find metric(s)");
 * - composite indexes created at once with the provider's default timeout.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the edits are Terraform source.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Block, literal, loadTerraform, mutatedCopy, type TfModule } from './hcl.ts';

const TF = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'terraform');

function blocks(body: Block | undefined, name: string): Block[] {
  const dynamic = (body?.dynamic as Record<string, Block[]> | undefined)?.[name] ?? [];
  return [...((body?.[name] as Block[] | undefined) ?? []), ...dynamic.flatMap((d) => d.content as Block[])];
}

function named(m: TfModule, type: string, expr: unknown) {
  const name = new RegExp(`\\b${type}\\.([A-Za-z_][\\w-]*)`).exec(String(expr ?? ''))?.[1];
  return m.resources.find((r) => r.type === type && r.name === name);
}

function deployRiskProblems(dir: string): string[] {
  const problems: string[] = [];
  for (const m of loadTerraform(dir)) {
    const of = (type: string) => m.resources.filter((r) => r.type === type);

    for (const object of of('google_storage_bucket_object')) {
      const bucket = named(m, 'google_storage_bucket', object.body.bucket);
      for (const rule of blocks(bucket?.body, 'lifecycle_rule')) {
        if (blocks(rule, 'action').some((a) => literal(a.type) === 'Delete')) {
          problems.push(
            `${m.path}: google_storage_bucket.${bucket?.name} deletes objects, and ${object.name} lives there`,
          );
        }
      }
    }

    for (const fn of of('google_cloudfunctions2_function')) {
      for (const build of blocks(fn.body, 'build_config')) {
        const repo = named(m, 'google_artifact_registry_repository', build.docker_repository);
        const policies = blocks(repo?.body, 'cleanup_policies');
        const deletes = policies.some((p) => literal(p.action) === 'DELETE');
        const keeps = policies.some(
          (p) => literal(p.action) === 'KEEP' && blocks(p, 'most_recent_versions').length,
        );
        if (!repo || !deletes || !keeps || repo.body.cleanup_policy_dry_run !== 'false') {
          problems.push(
            `${m.path}: ${fn.name} builds into ${repo ? `google_artifact_registry_repository.${repo.name}` : 'gcf-artifacts'}, which keeps every image`,
          );
        }
      }
    }

    const waits = of('time_sleep').filter((t) =>
      /google_logging_metric\./.test(String(t.body.triggers ?? '')),
    );
    for (const policy of of('google_monitoring_alert_policy')) {
      const text = JSON.stringify(policy.body);
      if (
        /google_logging_metric\./.test(text) ||
        (/user[/_]/.test(text) && !waits.some((w) => text.includes(`time_sleep.${w.name}.triggers`)))
      ) {
        problems.push(
          `${m.path}: google_monitoring_alert_policy.${policy.name} does not wait for its log-based metrics`,
        );
      }
    }

    for (const index of of('google_firestore_index')) {
      const create = literal(blocks(index.body, 'timeouts')[0]?.create) ?? '20m';
      if (Number.parseInt(create, 10) * (create.endsWith('h') ? 60 : 1) < 60) {
        problems.push(
          `${m.path}: google_firestore_index.${index.name} gives contention retries only ${create}`,
        );
      }
    }
  }
  return problems;
}

describe('deploy risks a plan does not show', () => {
  it('has none in terraform/', () => {
    expect(deployRiskProblems(TF)).toEqual([]);
  });

  it('finds each one put back in a copy', () => {
    const copy = mutatedCopy(TF, {
      'modules/functions/main.tf': [
        [
          '  labels                      = var.labels\n\n  # No age-based deletion',
          '  labels                      = var.labels\n  lifecycle_rule {\n    condition {\n      age = 30\n    }\n    action {\n      type = "Delete"\n    }\n  }\n\n  # No age-based deletion',
        ],
        ['    docker_repository = google_artifact_registry_repository.images.id\n', ''],
      ],
      'modules/monitoring/main.tf': [
        [
          'user/${time_sleep.metrics_visible.triggers["dead_letters"]}',
          'user/${google_logging_metric.dead_letters.name}',
        ],
      ],
      'modules/firestore/main.tf': [['    create = "60m"\n', '']],
    });
    try {
      expect(deployRiskProblems(copy.dir)).toEqual([
        'modules/firestore: google_firestore_index.composite gives contention retries only 20m',
        'modules/functions: google_storage_bucket.sources deletes objects, and source lives there',
        'modules/functions: function builds into gcf-artifacts, which keeps every image',
        'modules/monitoring: google_monitoring_alert_policy.dead_letters does not wait for its log-based metrics',
      ]);
    } finally {
      copy.cleanup();
    }
  });
});
