/**
 * The layers of `shared/src`, read from the imports themselves. Every folder names its
 * layer; an import may only point to the same layer or a lower one, features never import
 * each other, and the folder graph has no loop. SDKs are imported only where their layer
 * allows it. Test code (`*.test.ts`, `*.contract.ts`) may import anything, including the
 * test wiring in `testing/`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));

/** Lowest first. A folder may import its own layer and those below. */
export const LAYERS: readonly { name: string; folders: readonly string[]; note: string }[] = [
  { name: 'domain', folders: ['domain', 'errors'], note: 'schemas, pure rules, error codes' },
  { name: 'platform', folders: ['config', 'logging'], note: 'typed configuration, the log catalogue' },
  { name: 'ports', folders: ['ports'], note: 'what use cases need, as interfaces and types' },
  {
    name: 'services',
    folders: ['adapters', 'application', 'stores'],
    note: 'adapters of the ports; unit of work, outbox, consumers, idempotency, paging; how entities are stored',
  },
  {
    name: 'features',
    folders: [
      'tasks',
      'users',
      'comments',
      'media',
      'notifications',
      'webhooks',
      'audit',
      'health',
      'migrations',
    ],
    note: 'use cases, one folder per feature',
  },
  {
    name: 'edge',
    folders: ['runtime', 'wiring', 'testing'],
    note: 'HTTP and CloudEvent edge, wiring, test wiring',
  },
];

const FEATURES = new Set(LAYERS.find((l) => l.name === 'features')!.folders);

/** Packages only these folders may import (SDKs and I/O libraries stay at the edges). */
const SDK_FOLDERS: Readonly<Record<string, readonly string[]>> = {
  '@google-cloud/': ['adapters', 'runtime'],
  'firebase-admin': ['adapters'],
  sharp: ['adapters'],
  busboy: ['runtime'],
  pino: ['logging'],
};

const layerOf = new Map(LAYERS.flatMap((l, rank) => l.folders.map((f) => [f, rank] as const)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !/\.(test|contract)\.ts$/.test(e.name) ? [path] : [];
  });
}

/** The specifiers a module imports or re-exports, statically or dynamically. */
export function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g))
    specs.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs;
}

interface Edge {
  file: string;
  from: string;
  to: string;
}

/** Folder-to-folder imports of `shared/src` (relative ones), and package imports per folder. */
export function importGraph(root: string): {
  edges: Edge[];
  packages: { file: string; folder: string; spec: string }[];
} {
  const edges: Edge[] = [];
  const packages: { file: string; folder: string; spec: string }[] = [];
  for (const path of sourceFiles(root)) {
    const file = relative(root, path);
    const from = file.split('/')[0]!;
    for (const spec of importsOf(readFileSync(path, 'utf8'))) {
      if (!spec.startsWith('.')) {
        packages.push({ file, folder: from, spec });
        continue;
      }
      const to = relative(root, resolve(dirname(path), spec)).split('/')[0]!;
      if (to !== from) edges.push({ file, from, to });
    }
  }
  return { edges, packages };
}

/** Imports that break the rules, in words. */
export function violations(graph: ReturnType<typeof importGraph>, folders: readonly string[]): string[] {
  const out: string[] = [];
  for (const folder of folders)
    if (!layerOf.has(folder)) out.push(`${folder}/ has no layer: name it in LAYERS`);
  for (const { file, from, to } of graph.edges) {
    const a = layerOf.get(from);
    const b = layerOf.get(to);
    if (a === undefined || b === undefined) continue;
    if (b > a) out.push(`${file} (${LAYERS[a]!.name}) imports ${to}/ (${LAYERS[b]!.name}), a higher layer`);
    else if (FEATURES.has(from) && FEATURES.has(to))
      out.push(`${file} (feature ${from}) imports feature ${to}/`);
  }
  for (const { file, folder, spec } of graph.packages) {
    for (const [prefix, allowed] of Object.entries(SDK_FOLDERS)) {
      if (
        (spec === prefix || spec.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`)) &&
        !allowed.includes(folder)
      )
        out.push(`${file} imports ${spec}, allowed only in ${allowed.join(', ')}/`);
    }
  }
  // A loop among folders (possible within one layer).
  const next = new Map<string, Set<string>>();
  for (const { from, to } of graph.edges) next.set(from, (next.get(from) ?? new Set()).add(to));
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]): void => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'open') {
      out.push(`folder loop: ${[...path.slice(path.indexOf(node)), node].join(' → ')}`);
      return;
    }
    state.set(node, 'open');
    for (const n of next.get(node) ?? []) visit(n, [...path, node]);
    state.set(node, 'done');
  };
  for (const node of next.keys()) visit(node, []);
  return out;
}

describe('layers of shared/src', () => {
  const folders = readdirSync(SRC, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);

  it('every import points to its own layer or a lower one; features stand alone; no folder loop', () => {
    expect(violations(importGraph(SRC), folders)).toEqual([]);
  });

  it('the check sees what it must: an upward import, a feature-to-feature import, an SDK in the domain, a loop', () => {
    const graph = {
      edges: [
        { file: 'domain/task.schema.ts', from: 'domain', to: 'ports' },
        { file: 'tasks/delete-task.ts', from: 'tasks', to: 'media' },
        { file: 'adapters/x.ts', from: 'adapters', to: 'application' },
        { file: 'application/y.ts', from: 'application', to: 'adapters' },
      ],
      packages: [{ file: 'domain/media.schema.ts', folder: 'domain', spec: '@google-cloud/storage' }],
    };
    const found = violations(graph, ['domain', 'tasks', 'media', 'adapters', 'application', 'misc']);
    expect(found).toEqual([
      'misc/ has no layer: name it in LAYERS',
      'domain/task.schema.ts (domain) imports ports/ (ports), a higher layer',
      'tasks/delete-task.ts (feature tasks) imports feature media/',
      'domain/media.schema.ts imports @google-cloud/storage, allowed only in adapters, runtime/',
      'folder loop: adapters → application → adapters',
    ]);
  });

  it('reads every form of import', () => {
    const text = [
      "import { a } from '../x/a.ts';",
      "import type { B } from '../y/b.ts';",
      "export { c } from '../z/c.ts';",
      "import '../side/effect.ts';",
      "const d = await import('../w/d.ts');",
      'import {\n  e,\n  f,\n} from "../v/e.ts";',
    ].join('\n');
    expect(importsOf(text)).toEqual([
      '../x/a.ts',
      '../y/b.ts',
      '../z/c.ts',
      '../v/e.ts',
      '../side/effect.ts',
      '../w/d.ts',
    ]);
  });
});
