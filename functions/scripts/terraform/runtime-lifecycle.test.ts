/**
 * The Cloud Functions runtime terraform/ deploys, the bundles' esbuild target and their
 * `engines` agree, and Google supports that runtime on the day the tests run. Then the
 * same check failing on a copy that deploys Node.js 20, on a day past Node.js 22's
 * deprecation, and with a build for another Node.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILD_TARGET, bundlePackage } from '../build.ts';
import { mutatedCopy } from './hcl.ts';
import {
  deployedRuntime,
  isoDay,
  NODE_RUNTIMES,
  runtimeProblems,
  SCHEDULE_CHECKED,
} from './runtime-lifecycle.ts';

const TF = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'terraform');
const engines = bundlePackage('any', {}).engines.node;

describe('the Cloud Functions runtime', () => {
  it(`is supported today (${isoDay()}) and matches the build`, () => {
    const runtime = deployedRuntime(TF);
    expect(runtimeProblems({ runtime, target: BUILD_TARGET, engines, today: isoDay() })).toEqual([]);
  });

  it('has a dated schedule with sane dates, newest first', () => {
    expect(SCHEDULE_CHECKED).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const r of NODE_RUNTIMES) {
      expect(r.id).toBe(`nodejs${r.node}`);
      expect(r.deprecation < r.decommission, r.id).toBe(true);
    }
    const majors = NODE_RUNTIMES.map((r) => r.node);
    expect(majors).toEqual([...majors].sort((a, b) => b - a));
  });

  it('fails on a copy that deploys nodejs20, with its decommission date and the replacements', () => {
    const copy = mutatedCopy(TF, {
      'modules/functions/variables.tf': [[/default {5}= "nodejs\d+"/, 'default     = "nodejs20"']],
    });
    try {
      const runtime = deployedRuntime(copy.dir);
      expect(runtime).toBe('nodejs20');
      const problems = runtimeProblems({ runtime, target: 'node20', engines: '20', today: '2026-12-03' });
      expect(problems).toEqual([
        'nodejs20 was decommissioned on 2026-10-30: Cloud Functions creates and updates no function with it; use nodejs22 (supported until 2027-04-30) or nodejs24 (supported until 2028-04-30)',
      ]);
    } finally {
      copy.cleanup();
    }
  });

  it('fails once nodejs22 is deprecated, naming the date and nodejs24', () => {
    expect(
      runtimeProblems({ runtime: 'nodejs22', target: 'node22', engines: '22', today: '2027-05-01' }),
    ).toEqual([
      'nodejs22 was deprecated on 2027-04-30 (decommissioned on 2027-10-31, then no deploy works): use nodejs24 (supported until 2028-04-30)',
    ]);
  });

  it('fails when the bundles are built for another Node, or the runtime is unknown', () => {
    expect(
      runtimeProblems({ runtime: 'nodejs22', target: 'node20', engines: '20', today: '2026-12-03' }),
    ).toEqual([
      "the bundles' esbuild target is node20 but the runtime is nodejs22: build for node22",
      `the bundles' engines.node is "20" but the runtime is nodejs22: "22"`,
    ]);
    expect(
      runtimeProblems({ runtime: 'nodejs26', target: 'node26', engines: '26', today: '2026-12-03' })[0],
    ).toMatch(/nodejs26 is not in Google's Node\.js runtime schedule as copied on \d{4}-\d{2}-\d{2}/);
  });
});
