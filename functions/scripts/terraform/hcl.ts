/**
 * Reads a Terraform configuration without Terraform's providers: every module reachable
 * from a root through local `source` paths, cut into blocks and attributes by a small HCL
 * scanner that keeps each expression exactly as written (so the `terraform` binary can be
 * handed it, and references can be read from it). It is fast, unlike HCL's WASM parser,
 * and a syntax error still fails `terraform fmt -check` and functions/src/terraform.test.ts.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/**
 * A block body: attributes as their expression source, nested blocks as lists of bodies
 * (`dynamic "x"` blocks under `dynamic.x`, each with its `content` bodies).
 */
export interface Block {
  [key: string]: string | Block[] | Record<string, Block[]>;
}

export interface TfResource {
  mode: 'managed' | 'data';
  type: string;
  name: string;
  body: Block;
  file: string;
}

export interface TfModule {
  /** Absolute directory. */
  dir: string;
  /** Directory relative to the root module, for messages (`.` for the root). */
  path: string;
  /** Each file with every expression in it (attributes of blocks at any depth). */
  files: { name: string; text: string; expressions: string[] }[];
  resources: TfResource[];
  calls: Record<string, Block>;
  requiredProviders: Record<string, { source?: string; version?: string }>;
  locals: Record<string, string>;
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
}

/** The value of a plain quoted string expression (`"nodejs22"`), else undefined. */
export function literal(expr: unknown): string | undefined {
  if (typeof expr !== 'string' || !/^"(?:[^"\\$%]|\\.|\$(?!\{)|%(?!\{))*"$/.test(expr)) return undefined;
  return JSON.parse(expr) as string;
}

function toBody(src: string, expressions: string[]): Block {
  const { blocks, attributes } = rawItems(src);
  const body: Block = {};
  for (const a of attributes) {
    body[a.name] = a.expr;
    expressions.push(a.expr);
  }
  for (const b of blocks) {
    if (b.type === 'dynamic' && b.labels[0]) {
      const inner = rawItems(b.body);
      const spec: Block = {};
      for (const a of inner.attributes) {
        spec[a.name] = a.expr;
        expressions.push(a.expr);
      }
      spec.content = inner.blocks.filter((c) => c.type === 'content').map((c) => toBody(c.body, expressions));
      const dynamic = (body.dynamic ?? {}) as Record<string, Block[]>;
      dynamic[b.labels[0]] = [...(dynamic[b.labels[0]] ?? []), spec];
      body.dynamic = dynamic;
    } else body[b.type] = [...((body[b.type] ?? []) as Block[]), toBody(b.body, expressions)];
  }
  return body;
}

function loadModule(dir: string, root: string): TfModule {
  const m: TfModule = {
    dir,
    path: relative(root, dir) || '.',
    files: [],
    resources: [],
    calls: {},
    requiredProviders: {},
    locals: {},
    variables: {},
    outputs: {},
  };
  for (const name of readdirSync(dir)
    .filter((f) => f.endsWith('.tf'))
    .sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    const expressions: string[] = [];
    for (const b of rawItems(text).blocks) {
      const [label, second] = b.labels;
      const body = toBody(b.body, expressions);
      if ((b.type === 'resource' || b.type === 'data') && label && second) {
        m.resources.push({
          mode: b.type === 'data' ? 'data' : 'managed',
          type: label,
          name: second,
          body,
          file: name,
        });
      } else if (b.type === 'module' && label) m.calls[label] = body;
      else if (b.type === 'variable' && label) m.variables[label] = body;
      else if (b.type === 'output' && label) m.outputs[label] = body;
      else if (b.type === 'locals') {
        for (const [k, v] of Object.entries(body)) if (typeof v === 'string') m.locals[k] = v;
      } else if (b.type === 'terraform') {
        for (const rp of (body.required_providers ?? []) as Block[]) {
          for (const [provider, spec] of Object.entries(rp)) {
            if (typeof spec !== 'string') continue;
            const field = (key: string) => new RegExp(`\\b${key}\\s*=\\s*"([^"]*)"`).exec(spec)?.[1];
            m.requiredProviders[provider] = { source: field('source'), version: field('version') };
          }
        }
      }
    }
    m.files.push({ name, text, expressions });
  }
  return m;
}

/** The root module and every module it calls through a local path, root first. */
export function loadTerraform(rootDir: string): TfModule[] {
  const root = resolve(rootDir);
  const seen = new Map<string, TfModule>();
  const queue = [root];
  while (queue.length > 0) {
    const dir = queue.shift() as string;
    if (seen.has(dir)) continue;
    const m = loadModule(dir, root);
    seen.set(dir, m);
    for (const call of Object.values(m.calls)) {
      const source = literal(call.source) ?? '';
      if (source.startsWith('./') || source.startsWith('../')) queue.push(resolve(dir, source));
    }
  }
  return [...seen.values()];
}

// Raw source --------------------------------------------------------------------------------

const OPEN: Record<string, string> = { '{': '}', '(': ')', '[': ']' };

/** Index past the end of the line comment, block comment or heredoc at `i`, or -1. */
function skipTrivia(src: string, i: number): number {
  if (src[i] === '#' || (src[i] === '/' && src[i + 1] === '/')) {
    const end = src.indexOf('\n', i);
    return end < 0 ? src.length : end;
  }
  if (src[i] === '/' && src[i + 1] === '*') {
    const end = src.indexOf('*/', i + 2);
    return end < 0 ? src.length : end + 2;
  }
  const heredoc =
    src[i] === '<' && src[i + 1] === '<'
      ? /^<<-?([A-Za-z_][A-Za-z0-9_]*)\r?\n/.exec(src.slice(i, i + 200))
      : null;
  if (heredoc) {
    const marker = new RegExp(`^[ \\t]*${heredoc[1]}[ \\t]*$`, 'm');
    const rest = src.slice(i + heredoc[0].length);
    const end = marker.exec(rest);
    return end ? i + heredoc[0].length + end.index + end[0].length : src.length;
  }
  return -1;
}

/** Index past the quoted template starting at `i` (interpolations may nest strings). */
function skipString(src: string, i: number): number {
  let j = i + 1;
  while (j < src.length) {
    const c = src[j];
    if (c === '\\') j += 2;
    else if (c === '"') return j + 1;
    else if ((c === '$' || c === '%') && src[j + 1] === c && src[j + 2] === '{') j += 3;
    else if ((c === '$' || c === '%') && src[j + 1] === '{') j = skipBalanced(src, j + 1);
    else j += 1;
  }
  return j;
}

/** Index past the bracket that closes the one at `i`. */
function skipBalanced(src: string, i: number): number {
  const stack = [OPEN[src[i] as string]];
  let j = i + 1;
  while (j < src.length && stack.length > 0) {
    const c = src[j] as string;
    const trivia = skipTrivia(src, j);
    if (trivia >= 0) j = trivia;
    else if (c === '"') j = skipString(src, j);
    else if (OPEN[c]) {
      stack.push(OPEN[c]);
      j += 1;
    } else {
      if (c === stack[stack.length - 1]) stack.pop();
      j += 1;
    }
  }
  return j;
}

export interface RawBlock {
  type: string;
  labels: string[];
  /** The whole block, as written. */
  text: string;
  /** What is between its braces. */
  body: string;
}

export interface RawAttribute {
  name: string;
  /** The expression, as written (heredocs and multi-line brackets included). */
  expr: string;
}

/** The blocks and attributes directly inside `src` (a file, or a block's body). */
export function rawItems(src: string): { blocks: RawBlock[]; attributes: RawAttribute[] } {
  const blocks: RawBlock[] = [];
  const attributes: RawAttribute[] = [];
  let i = 0;
  while (i < src.length) {
    const trivia = skipTrivia(src, i);
    if (trivia >= 0) {
      i = trivia;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i, i + 200));
    if (!ident) {
      i += 1;
      continue;
    }
    const start = i;
    i += ident[0].length;
    while (src[i] === ' ' || src[i] === '\t') i += 1;
    if (src[i] === '=' && src[i + 1] !== '=') {
      // An attribute: its expression runs to the end of the line, brackets and strings whole.
      let j = i + 1;
      while (j < src.length && src[j] !== '\n') {
        const c = src[j] as string;
        if (c === '#' || (c === '/' && (src[j + 1] === '/' || src[j + 1] === '*'))) break;
        if (c === '<' && src[j + 1] === '<') j = Math.max(skipTrivia(src, j), j + 2);
        else if (c === '"') j = skipString(src, j);
        else if (OPEN[c]) j = skipBalanced(src, j);
        else j += 1;
      }
      attributes.push({ name: ident[0], expr: src.slice(i + 1, j).trim() });
      i = j;
      continue;
    }
    const labels: string[] = [];
    while (i < src.length && src[i] !== '{') {
      if (src[i] === '"') {
        const end = skipString(src, i);
        labels.push(src.slice(i + 1, end - 1));
        i = end;
      } else i += 1;
    }
    const end = skipBalanced(src, i);
    blocks.push({ type: ident[0], labels, text: src.slice(start, end), body: src.slice(i + 1, end - 1) });
    i = end;
  }
  return { blocks, attributes };
}

// Copies, for showing that a check fails -----------------------------------------------------

/**
 * A copy of a Terraform directory with `edits` applied (file → [search, replacement]), for a
 * test that shows a check failing. Each search must occur: an edit that silently does
 * nothing would make the test prove nothing. Returns the copy's path and a cleanup.
 */
export function mutatedCopy(
  dir: string,
  edits: Record<string, [search: string | RegExp, replacement: string][]>,
): { dir: string; cleanup: () => void } {
  const copy = mkdtempSync(join(tmpdir(), 'taskman-tf-'));
  cpSync(dir, copy, { recursive: true, filter: (src) => !/[/\\]\.(terraform|build)([/\\]|$)/.test(src) });
  for (const [file, changes] of Object.entries(edits)) {
    const path = join(copy, file);
    let text = readFileSync(path, 'utf8');
    for (const [search, replacement] of changes) {
      const next = text.replace(search, () => replacement);
      if (next === text) throw new Error(`mutatedCopy: ${file} has no ${String(search)}`);
      text = next;
    }
    writeFileSync(path, text);
  }
  return { dir: copy, cleanup: () => rmSync(copy, { recursive: true, force: true }) };
}
