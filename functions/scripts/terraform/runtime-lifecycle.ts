/**
 * Google's support schedule for the Node.js runtimes of Cloud Run functions (Cloud Functions
 * 2nd gen), and the check that the deployed runtime, the bundles' esbuild target and their
 * `engines` agree and are supported on a given day. After a runtime's deprecation date
 * Google stops patching it; after its decommission date no function can be created or
 * updated with it (Node.js 20: 2026-10-30), so a deploy fails on every function.
 */
import { literal, loadTerraform } from './hcl.ts';

/** Where the schedule is published, and the day it was last copied here. */
export const SCHEDULE_SOURCE = 'https://cloud.google.com/functions/docs/runtime-support';
export const SCHEDULE_CHECKED = '2026-12-03';

export interface NodeRuntime {
  id: string;
  node: number;
  /** First day of deprecation: no more patches, deploys still allowed. */
  deprecation: string;
  /** First day of decommission: creating or updating a function with it fails. */
  decommission: string;
}

/** Newest first, as Google's table lists them (dates are ISO days, UTC). */
export const NODE_RUNTIMES: NodeRuntime[] = [
  { id: 'nodejs24', node: 24, deprecation: '2028-04-30', decommission: '2028-10-31' },
  { id: 'nodejs22', node: 22, deprecation: '2027-04-30', decommission: '2027-10-31' },
  { id: 'nodejs20', node: 20, deprecation: '2026-04-30', decommission: '2026-10-30' },
  { id: 'nodejs18', node: 18, deprecation: '2025-04-30', decommission: '2025-10-30' },
  { id: 'nodejs16', node: 16, deprecation: '2024-01-30', decommission: '2025-01-30' },
  { id: 'nodejs14', node: 14, deprecation: '2024-01-30', decommission: '2025-01-30' },
  { id: 'nodejs12', node: 12, deprecation: '2024-01-30', decommission: '2025-01-30' },
  { id: 'nodejs10', node: 10, deprecation: '2024-01-30', decommission: '2025-01-30' },
];

/** Today as an ISO day (UTC), the form the schedule's dates are compared in. */
export function isoDay(date: Date = new Date()): string {
  return date.toISOString().slice(0, 10);
}

/** What is wrong with deploying `runtime` built for `target` with `engines` on `today`. */
export function runtimeProblems(deploy: {
  runtime: string;
  target: string;
  engines: string;
  today: string;
}): string[] {
  const { runtime, target, engines, today } = deploy;
  const r = NODE_RUNTIMES.find((x) => x.id === runtime);
  if (!r) {
    return [
      `${runtime} is not in Google's Node.js runtime schedule as copied on ${SCHEDULE_CHECKED}: add it from ${SCHEDULE_SOURCE}`,
    ];
  }
  const problems: string[] = [];
  const supported = NODE_RUNTIMES.filter((x) => x.deprecation > today)
    .reverse()
    .map((x) => `${x.id} (supported until ${x.deprecation})`);
  const instead = supported.length > 0 ? `use ${supported.join(' or ')}` : `see ${SCHEDULE_SOURCE}`;
  if (today >= r.decommission) {
    problems.push(
      `${runtime} was decommissioned on ${r.decommission}: Cloud Functions creates and updates no function with it; ${instead}`,
    );
  } else if (today >= r.deprecation) {
    problems.push(
      `${runtime} was deprecated on ${r.deprecation} (decommissioned on ${r.decommission}, then no deploy works): ${instead}`,
    );
  }
  if (target !== `node${r.node}`) {
    problems.push(
      `the bundles' esbuild target is ${target} but the runtime is ${runtime}: build for node${r.node}`,
    );
  }
  if (engines !== String(r.node)) {
    problems.push(`the bundles' engines.node is "${engines}" but the runtime is ${runtime}: "${r.node}"`);
  }
  return problems;
}

/** The runtime the functions module deploys: the root's argument, else the variable's default. */
export function deployedRuntime(tfDir: string): string {
  const modules = loadTerraform(tfDir);
  const functions = modules.find((m) => m.path.replace(/\\/g, '/') === 'modules/functions');
  const call = Object.values(modules[0]?.calls ?? {}).find(
    (c) => literal(c.source) === './modules/functions',
  );
  const runtime = literal(call?.runtime ?? functions?.variables.runtime?.default);
  if (runtime === undefined) throw new Error(`${tfDir}: no literal runtime for the functions module`);
  return runtime;
}
