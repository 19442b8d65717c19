/**
 * Terraform evaluates its own expressions. The locals and outputs of a module that need no
 * provider are copied, exactly as written, into a throwaway root beside the module's
 * variable declarations, given values, and evaluated by the installed `terraform` binary
 * (`terraform console`, which needs no `init` for a configuration without providers). So a
 * test asserts on what Terraform computes, not on a TypeScript re-implementation of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type RawAttribute, type RawBlock, rawItems } from './hcl.ts';

/** `terraform version`'s first line, or undefined when the binary is not installed. */
export function terraformVersion(): string | undefined {
  const r = spawnSync('terraform', ['version'], { encoding: 'utf8', env: terraformEnv() });
  return r.error || r.status !== 0 ? undefined : r.stdout.split('\n')[0];
}

/** No checkpoint call (there is no network), no CLI configuration warning. */
function terraformEnv(dir?: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    ...(dir ? { TF_CLI_CONFIG_FILE: join(dir, 'cli.tfrc') } : {}),
  };
}

const NAME = '[A-Za-z_][A-Za-z0-9_-]*';

/** Terraform's diagnostics as one plain line: no colours, box drawing or wrapping. */
function plain(text: string): string {
  return text
    .replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
    .replace(/[│╷╵]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Values of `refs` (`local.document`, `output.http_function_names`) in the module at
 * `moduleDir`, given its variables `vars`, as Terraform computes them. Rejects with
 * Terraform's own message when it fails, and when an expression needs a provider.
 */
export function evaluate(
  moduleDir: string,
  refs: string[],
  vars: Record<string, unknown>,
): Record<string, unknown> {
  const dir = resolve(moduleDir);
  const variables = new Map<string, RawBlock>();
  const expressions = new Map<string, string>();
  const declared = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tf'))) {
    for (const block of rawItems(readFileSync(join(dir, file), 'utf8')).blocks) {
      const [label, second] = block.labels;
      if (block.type === 'variable' && label) variables.set(label, block);
      if (block.type === 'locals') {
        for (const a of rawItems(block.body).attributes) expressions.set(`local.${a.name}`, a.expr);
      }
      if (block.type === 'output' && label) {
        const value = rawItems(block.body).attributes.find((a: RawAttribute) => a.name === 'value');
        if (value) expressions.set(`output.${label}`, value.expr);
      }
      if ((block.type === 'resource' || block.type === 'data') && label && second) declared.add(label);
    }
  }

  // What the requested expressions read, transitively.
  const needed = new Map<string, string>();
  const usedVars = new Set<string>();
  const pending = [...refs];
  while (pending.length > 0) {
    const ref = pending.pop() as string;
    if (needed.has(ref)) continue;
    const expr = expressions.get(ref);
    if (expr === undefined) throw new Error(`${moduleDir}: no ${ref}`);
    const provider = [...expr.matchAll(new RegExp(`(?<![\\w.])(data\\.${NAME}|${NAME})\\.${NAME}`, 'g'))]
      .map((m) => m[1] as string)
      .find((first) => first.startsWith('data.') || declared.has(first));
    if (provider) throw new Error(`${ref} reads ${provider}: it needs a provider to evaluate`);
    needed.set(ref, expr);
    for (const m of expr.matchAll(new RegExp(`(?<![\\w.])local\\.(${NAME})`, 'g')))
      pending.push(`local.${m[1]}`);
    for (const m of expr.matchAll(new RegExp(`(?<![\\w.])var\\.(${NAME})`, 'g')))
      usedVars.add(m[1] as string);
  }

  // The throwaway root: the variables, the expressions as locals, path.module kept pointing here.
  const inModule = (expr: string) => expr.replace(/(?<![\w.])path\.module\b/g, JSON.stringify(dir));
  const local = (ref: string) => `x_${ref.replace('.', '_')}`;
  const main = [
    ...[...usedVars].map((v) => {
      const block = variables.get(v);
      if (!block) throw new Error(`${moduleDir}: no variable ${v}`);
      return block.text;
    }),
    'locals {',
    ...[...needed].map(([ref, expr]) => `  ${local(ref)} = ${inModule(expr)}`),
    '}',
    '',
  ]
    .join('\n')
    .replace(
      new RegExp(`(?<![\\w.])local\\.(${NAME})`, 'g'),
      (_, n: string) => `local.${local(`local.${n}`)}`,
    );
  const tmp = mkdtempSync(join(tmpdir(), 'taskman-tf-eval-'));
  try {
    writeFileSync(join(tmp, 'main.tf'), main);
    writeFileSync(join(tmp, 'cli.tfrc'), '');
    const given = Object.fromEntries(Object.entries(vars).filter(([k]) => usedVars.has(k)));
    writeFileSync(join(tmp, 'terraform.tfvars.json'), JSON.stringify(given));
    const query = `jsonencode({ ${refs.map((r) => `${local(r)} = local.${local(r)}`).join(', ')} })\n`;
    const r = spawnSync('terraform', ['console'], {
      cwd: tmp,
      input: query,
      encoding: 'utf8',
      env: terraformEnv(tmp),
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    const out = r.stdout.trim();
    if (r.status !== 0 || !out.startsWith('"')) {
      throw new Error(
        `terraform console failed on ${refs.join(', ')} of ${moduleDir}: ${plain(r.stderr + r.stdout)}`,
      );
    }
    const values = JSON.parse(JSON.parse(out) as string) as Record<string, unknown>;
    return Object.fromEntries(refs.map((ref) => [ref, values[local(ref)]]));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
