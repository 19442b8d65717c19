/**
 * What `terraform validate` would say about the configuration, without the providers it
 * cannot download here: every resource and data block, argument, nested block, required
 * argument and attribute reference is checked against the schemas of the pinned provider
 * versions. The schemas come from the `@cdktf/provider-*` npm packages, which carry them as
 * jsii metadata (`.jsii`): per resource a class (its getters are the attributes), a config
 * struct (its properties are the arguments, `optional` unless required, each documented
 * with a link whose anchor is the Terraform name) and one struct per nested block.
 *
 * The files are large (about 100 MB for google), so they are read as bytes on first use,
 * each resource class is found by its registry link, and only the namespaces a
 * configuration uses are parsed; each package is loaded once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Block, literal, loadTerraform, type TfModule, type TfResource } from './hcl.ts';

interface JsiiTypeRef {
  primitive?: string;
  fqn?: string;
  collection?: { kind: 'array' | 'map'; elementtype: JsiiTypeRef };
  union?: { types: JsiiTypeRef[] };
}
interface JsiiProperty {
  name: string;
  optional?: boolean;
  static?: boolean;
  type: JsiiTypeRef;
  docs?: { summary?: string; remarks?: string };
}
interface JsiiType {
  fqn: string;
  kind: string;
  datatype?: boolean;
  base?: string;
  properties?: JsiiProperty[];
  methods?: { name: string; returns?: { type: JsiiTypeRef } }[];
}

/** An argument or nested block of a resource, data source or block, by its Terraform name. */
export interface Argument {
  required: boolean;
  /** The jsii property name (camelCase, sometimes renamed: `build` → `buildAttribute`). */
  jsii: string;
  /** The struct of a nested block. */
  block?: string;
}

export type Mode = 'managed' | 'data';

const REGISTRY_LINK = /Docs at Terraform Registry: \{@link \S+#(\S+) \S+\}/;
const META = new Set([
  'count',
  'for_each',
  'depends_on',
  'provider',
  'lifecycle',
  'provisioner',
  'connection',
]);
const LIFECYCLE = new Set([
  'create_before_destroy',
  'prevent_destroy',
  'ignore_changes',
  'replace_triggered_by',
  'precondition',
  'postcondition',
]);

/** `output_base64sha256` → `outputBase64Sha256`, as cdktf names properties. */
function camel(name: string): string {
  return name
    .replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
    .replace(/(\d)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** One provider's schema, read from its `@cdktf/provider-*` package. */
export class ProviderSchema {
  /** The Terraform provider version the package was generated from. */
  readonly version: string;
  /** Its registry address, `registry.terraform.io/hashicorp/google`. */
  readonly source: string;
  readonly pkg: string;
  readonly pkgVersion: string;
  private readonly jsii: string;
  private loadedBytes: Buffer | undefined;
  private readonly classes = new Map<string, string | undefined>();
  private index: Set<string> | undefined;
  private readonly types = new Map<string, JsiiType>();
  private readonly parsed = new Set<string>();
  private readonly args = new Map<string, Map<string, Argument>>();
  /** Where in the file each resource's namespace has its class. */
  private readonly offsets = new Map<string, number>();

  private constructor(pkg: string) {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve(`${pkg}/package.json`);
    const json = JSON.parse(readFileSync(manifest, 'utf8')) as {
      version: string;
      cdktf: { provider: { name: string; version: string } };
    };
    this.pkg = pkg;
    this.pkgVersion = json.version;
    this.version = json.cdktf.provider.version;
    this.source = json.cdktf.provider.name;
    this.jsii = join(dirname(manifest), '.jsii');
  }

  private get bytes(): Buffer {
    this.loadedBytes ??= readFileSync(this.jsii);
    return this.loadedBytes;
  }

  /** The class of a resource or data source type, if the provider has it. */
  classOf(mode: Mode, type: string): string | undefined {
    const key = `${mode}:${type}`;
    if (!this.classes.has(key)) {
      // The class's docs link to its registry page: `Represents a {@link …/docs/resources/… google_x}.`
      const needle = Buffer.from(` ${type}}."`);
      const kind = mode === 'data' ? '/docs/data-sources/' : '/docs/resources/';
      let hit = this.bytes.indexOf(needle);
      while (hit >= 0) {
        const line = this.bytes.toString('utf8', this.bytes.lastIndexOf(10, hit), hit);
        if (line.includes('"summary": "Represents a {@link ') && line.includes(kind)) break;
        hit = this.bytes.indexOf(needle, hit + 1);
      }
      const start = hit < 0 ? -1 : this.bytes.lastIndexOf(Buffer.from('\n    "'), hit);
      const fqn =
        start < 0 ? undefined : /^\n {4}"([^"]+)"/.exec(this.bytes.toString('utf8', start, start + 400))?.[1];
      if (fqn) this.offsets.set(fqn.slice(0, fqn.lastIndexOf('.') + 1), start);
      this.classes.set(key, fqn && this.type(fqn)?.kind === 'class' ? fqn : undefined);
    }
    return this.classes.get(key);
  }

  /** Resource (or data source) types the provider has (a scan of the whole file: slow). */
  names(mode: Mode): string[] {
    if (!this.index) {
      this.index = new Set();
      const needle = Buffer.from('"summary": "Represents a {@link ');
      for (let i = this.bytes.indexOf(needle); i >= 0; i = this.bytes.indexOf(needle, i + 1)) {
        const m = /^\S+\/docs\/(resources|data-sources)\/\S+ (\S+)\}\."/.exec(
          this.bytes.toString('utf8', i + needle.length, i + needle.length + 400),
        );
        if (m) this.index.add(`${m[1] === 'resources' ? 'managed' : 'data'}:${m[2]}`);
      }
    }
    return [...this.index.keys()]
      .filter((k) => k.startsWith(`${mode}:`))
      .map((k) => k.slice(mode.length + 1));
  }

  private static loaded = new Map<string, ProviderSchema>();

  /** The schema in `pkg`, read once per process. */
  static load(pkg: string): ProviderSchema {
    let schema = ProviderSchema.loaded.get(pkg);
    if (!schema) {
      schema = new ProviderSchema(pkg);
      ProviderSchema.loaded.set(pkg, schema);
    }
    return schema;
  }

  /** A jsii type, parsing its whole namespace (one resource's types) on first use. */
  type(fqn: string): JsiiType | undefined {
    const namespace = fqn.slice(0, fqn.lastIndexOf('.') + 1);
    const offset = this.offsets.get(namespace);
    if (offset !== undefined && !this.parsed.has(namespace)) {
      this.parsed.add(namespace);
      // The file is pretty-printed: each type is `\n    "<fqn>": {` … `\n    }` at this indent,
      // sorted, so a namespace's types are contiguous around its class.
      const key = Buffer.from(`\n    "${namespace}`);
      const close = Buffer.from('\n    }');
      const isKey = (at: number) => at >= 0 && this.bytes.subarray(at, at + key.length).equals(key);
      let start = this.bytes.lastIndexOf(key, offset);
      for (let before = start; isKey(before); ) {
        start = before;
        const previous = this.bytes.lastIndexOf(close, start - 1);
        before = previous < 0 ? -1 : this.bytes.lastIndexOf(Buffer.from('\n    "'), previous);
      }
      while (isKey(start)) {
        const end = this.bytes.indexOf(close, start);
        const entry = JSON.parse(`{${this.bytes.toString('utf8', start + 1, end + close.length)}}`) as Record<
          string,
          JsiiType
        >;
        for (const [name, t] of Object.entries(entry)) this.types.set(name, t);
        start = end + close.length + 1; // past `}` and `,`
      }
    }
    return this.types.get(fqn);
  }

  /** The struct a type reference names, if it is a (list of) struct: a nested block. */
  private struct(typeRef: JsiiTypeRef): string | undefined {
    if (typeRef.fqn) return this.type(typeRef.fqn)?.datatype ? typeRef.fqn : undefined;
    if (typeRef.collection?.kind === 'array') return this.struct(typeRef.collection.elementtype);
    for (const t of typeRef.union?.types ?? []) {
      const s = this.struct(t);
      if (s) return s;
    }
    return undefined;
  }

  /** Arguments and nested blocks of a config struct or block struct, by Terraform name. */
  arguments(structFqn: string): Map<string, Argument> {
    const cached = this.args.get(structFqn);
    if (cached) return cached;
    const struct = this.type(structFqn);
    const args = new Map<string, Argument>();
    this.args.set(structFqn, args);
    for (const p of struct?.properties ?? []) {
      const docs = `${p.docs?.summary ?? ''}\n${p.docs?.remarks ?? ''}`;
      const name = REGISTRY_LINK.exec(docs)?.[1] ?? snake(p.name);
      const block = this.struct(p.type);
      args.set(name, { required: !p.optional, jsii: p.name, ...(block ? { block } : {}) });
    }
    return args;
  }

  /**
   * What `.name` (or `[…]`) yields on a value of a jsii type: the type of an attribute of a
   * resource class, a block's output reference or a list of them.
   */
  step(nav: Nav, step: Step): Nav | string {
    if (nav.kind === 'any') return nav;
    if (step.kind === 'index' || step.kind === 'splat') {
      if (nav.kind === 'list' || nav.kind === 'map') return nav.element;
      // A block nested at most once is still a list in Terraform, indexed [0].
      if (nav.kind === 'object' && nav.block) return nav;
      return `cannot index ${nav.kind === 'object' ? 'an object' : 'a primitive'}`;
    }
    if (nav.kind === 'list') return `is a list: index it ([0] or [*]) before .${step.name}`;
    if (nav.kind === 'map') return nav.element;
    if (nav.kind === 'primitive') return `is a ${nav.name}, it has no .${step.name}`;
    const getters = new Map<string, JsiiTypeRef>();
    for (const p of this.type(nav.fqn)?.properties ?? []) if (!p.static) getters.set(p.name, p.type);
    const paired = this.arguments(nav.struct).get(step.name)?.jsii;
    const candidates = [paired, camel(step.name), `${camel(step.name)}Attribute`].filter(
      (c): c is string => c !== undefined,
    );
    const getter = candidates.find((c) => getters.has(c) && c !== 'internalValue');
    if (!getter) {
      const known = [...getters.keys()]
        .filter((g) => g !== 'internalValue' && !(g.endsWith('Input') && getters.has(g.slice(0, -5))))
        .map(snake);
      return `has no attribute "${step.name}"${suggest(step.name, known)}`;
    }
    return this.nav(getters.get(getter) as JsiiTypeRef);
  }

  /** The navigation type of a resource or data source instance. */
  instance(classFqn: string): Nav {
    return { kind: 'object', fqn: classFqn, struct: `${classFqn}Config`, block: false };
  }

  private nav(ref: JsiiTypeRef): Nav {
    if (ref.primitive)
      return ref.primitive === 'any' ? { kind: 'any' } : { kind: 'primitive', name: ref.primitive };
    if (ref.collection) {
      const element = this.nav(ref.collection.elementtype);
      return ref.collection.kind === 'map' ? { kind: 'map', element } : { kind: 'list', element };
    }
    if (ref.union || !ref.fqn) return { kind: 'any' };
    const fqn = ref.fqn;
    if (fqn.startsWith('cdktf.')) {
      const base: Nav = { kind: 'primitive', name: /Boolean/.test(fqn) ? 'boolean' : 'value' };
      if (fqn.endsWith('MapList')) return { kind: 'list', element: { kind: 'map', element: base } };
      if (fqn.endsWith('Map')) return { kind: 'map', element: base };
      if (fqn.endsWith('List')) return { kind: 'list', element: base };
      return { kind: 'any' };
    }
    const t = this.type(fqn);
    const got = t?.methods?.find((m) => m.name === 'get')?.returns?.type;
    if (t?.base === 'cdktf.ComplexList' && got) return { kind: 'list', element: this.nav(got) };
    if (t?.base === 'cdktf.ComplexMap' && got) return { kind: 'map', element: this.nav(got) };
    if (t?.base === 'cdktf.ComplexObject') {
      return { kind: 'object', fqn, struct: fqn.replace(/OutputReference$/, ''), block: true };
    }
    return { kind: 'any' };
  }
}

export type Nav =
  | { kind: 'any' }
  | { kind: 'primitive'; name: string }
  | { kind: 'list'; element: Nav }
  | { kind: 'map'; element: Nav }
  | { kind: 'object'; fqn: string; struct: string; block: boolean };

export type Step = { kind: 'attr'; name: string } | { kind: 'index' } | { kind: 'splat' };

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = row[j] as number;
      row[j] = next;
    }
  }
  return row[b.length] as number;
}

function suggest(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Math.max(3, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

// References ----------------------------------------------------------------------------------

/** Index past the bracket closing the `[` at `i` (strings inside are skipped). */
function closeBracket(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s[j];
    if (c === '"') {
      for (j++; j < s.length && s[j] !== '"'; j++) if (s[j] === '\\') j++;
    } else if (c === '[' || c === '(' || c === '{') depth++;
    else if (c === ']' || c === ')' || c === '}') {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return s.length;
}

/** The traversal steps written at `i`: `[each.key]`, `.service_config`, `[0]`, `.*`… */
function stepsAt(s: string, i: number): Step[] {
  const steps: Step[] = [];
  let j = i;
  for (;;) {
    if (s[j] === '[') {
      const end = closeBracket(s, j);
      steps.push(s.slice(j + 1, end - 1).trim() === '*' ? { kind: 'splat' } : { kind: 'index' });
      j = end;
      continue;
    }
    if (s[j] === '.' && s[j + 1] === '*') {
      steps.push({ kind: 'splat' });
      j += 2;
      continue;
    }
    const attr = s[j] === '.' ? /^[A-Za-z_][A-Za-z0-9_-]*/.exec(s.slice(j + 1, j + 200)) : null;
    if (!attr) return steps;
    steps.push({ kind: 'attr', name: attr[0] });
    j += 1 + attr[0].length;
  }
}

interface Reference {
  mode: Mode;
  type: string;
  name: string;
  steps: Step[];
  /** Where the reference ends in the string. */
  end: number;
}

const REFERENCE = /(?<![\w.-])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)/g;

/** The resource and data source references in an expression string. */
function referencesIn(s: string, providers: Set<string>): Reference[] {
  const found: Reference[] = [];
  for (const m of s.matchAll(REFERENCE)) {
    const type = m[2] as string;
    if (!m[1] && !providers.has(type.split('_')[0] as string)) continue;
    const start = (m.index ?? 0) + m[0].length;
    const steps = stepsAt(s, start);
    found.push({ mode: m[1] ? 'data' : 'managed', type, name: m[3] as string, steps, end: start });
  }
  return found;
}

// The check -----------------------------------------------------------------------------------

/** The npm package carrying a provider's schema: hashicorp/google → @cdktf/provider-google. */
export function schemaPackage(source: string): string {
  return `@cdktf/provider-${source.split('/').pop()}`;
}

/** Whether a version satisfies a Terraform version constraint (`~> 6.0`, `>= 2.4, < 3`). */
export function satisfies(version: string, constraint: string): boolean {
  const v = version.split('.').map(Number);
  const cmp = (other: number[]): number => {
    for (let i = 0; i < Math.max(v.length, other.length); i++) {
      const d = (v[i] ?? 0) - (other[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  };
  return constraint.split(',').every((part) => {
    const m = /^\s*(=|!=|>=|<=|>|<|~>)?\s*([0-9][0-9.]*)\s*$/.exec(part);
    if (!m) return false;
    const target = (m[2] as string).split('.').map(Number);
    switch (m[1] ?? '=') {
      case '=':
        return cmp(target) === 0;
      case '!=':
        return cmp(target) !== 0;
      case '>':
        return cmp(target) > 0;
      case '>=':
        return cmp(target) >= 0;
      case '<':
        return cmp(target) < 0;
      case '<=':
        return cmp(target) <= 0;
      default: {
        // ~> 6.0 allows 6.x; ~> 6.50.0 allows 6.50.x: the last given part may grow.
        const upper = target.slice(0, -1);
        upper[upper.length - 1] = (upper[upper.length - 1] ?? 0) + 1;
        return cmp(target) >= 0 && (target.length === 1 || cmp(upper) < 0);
      }
    }
  });
}

function providerOf(r: TfResource): string {
  const explicit = typeof r.body.provider === 'string' ? r.body.provider : undefined;
  return (explicit ?? r.type).split(explicit ? '.' : '_')[0] as string;
}

/** The addresses an expression names: `[a.b, data.c.d]` → `a.b`, `data.c.d`. */
function addresses(expr: unknown): string[] {
  return typeof expr === 'string' ? (expr.match(/(?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*/g) ?? []) : [];
}

/** Problems of one block body against its schema (arguments, nested blocks, required ones). */
function checkBody(
  schema: ProviderSchema,
  struct: string,
  body: Block,
  where: string,
  topLevel: boolean,
  problems: string[],
): void {
  const args = schema.arguments(struct);
  const present = new Set<string>();
  for (const [key, value] of Object.entries(body)) {
    if (topLevel && META.has(key)) {
      for (const lifecycle of key === 'lifecycle' ? (value as Block[]) : []) {
        for (const k of Object.keys(lifecycle)) {
          if (!LIFECYCLE.has(k)) problems.push(`${where}: lifecycle has no "${k}"${suggest(k, LIFECYCLE)}`);
        }
        const list = String(lifecycle.ignore_changes ?? '').trim();
        for (const item of list
          .replace(/^\[|\]$/g, '')
          .replace(/\[[^\]]*\]/g, '')
          .split(',')) {
          const name = /^\s*([A-Za-z_]\w*)/.exec(item)?.[1];
          if (name && name !== 'all' && !args.has(name)) {
            problems.push(`${where}: lifecycle.ignore_changes names "${name}", not an argument`);
          }
        }
      }
      continue;
    }
    if (key === 'dynamic') {
      for (const [name, specs] of Object.entries(value as Record<string, Block[]>)) {
        const arg = args.get(name);
        if (!arg?.block) {
          problems.push(`${where}: dynamic "${name}": no such block${suggest(name, args.keys())}`);
          continue;
        }
        present.add(name);
        for (const spec of specs) {
          for (const content of (spec.content ?? []) as Block[]) {
            checkBody(schema, arg.block, content, `${where}.${name}`, false, problems);
          }
        }
      }
      continue;
    }
    const arg = args.get(key);
    if (!arg) {
      problems.push(`${where}: no argument or block "${key}"${suggest(key, args.keys())}`);
      continue;
    }
    present.add(key);
    if (arg.block && Array.isArray(value)) {
      for (const b of value as Block[]) checkBody(schema, arg.block, b, `${where}.${key}`, false, problems);
    }
  }
  for (const [name, arg] of args) {
    if (arg.required && !present.has(name)) problems.push(`${where}: missing required "${name}"`);
  }
}

function schemaFor(
  m: TfModule,
  provider: string,
  problems: string[],
  where: string,
): ProviderSchema | undefined {
  const declared = m.requiredProviders[provider];
  if (!declared?.source) {
    problems.push(`${where}: provider "${provider}" is not in ${m.path}'s required_providers`);
    return undefined;
  }
  try {
    return ProviderSchema.load(schemaPackage(declared.source));
  } catch {
    problems.push(
      `${where}: no schema for ${declared.source}: add ${schemaPackage(declared.source)} as a devDependency`,
    );
    return undefined;
  }
}

function checkReferences(m: TfModule, problems: string[]): void {
  const declared = new Map(m.resources.map((r) => [`${r.mode}:${r.type}.${r.name}`, r]));
  const providers = new Set(Object.keys(m.requiredProviders).map((p) => p.split('-')[0] as string));
  const checkChain = (schema: ProviderSchema, start: Nav, steps: Step[], label: string, where: string) => {
    let nav: Nav = start;
    let path = label;
    for (const step of steps) {
      const next = schema.step(nav, step);
      if (typeof next === 'string') {
        problems.push(`${where}: ${path} ${next}`);
        return;
      }
      nav = next;
      path += step.kind === 'attr' ? `.${step.name}` : step.kind === 'splat' ? '[*]' : '[…]';
    }
  };
  for (const file of m.files) {
    const where = `${m.path}/${file.name}`;
    for (const s of file.expressions) {
      const refs = referencesIn(s, providers);
      for (const ref of refs) {
        const label = `${ref.mode === 'data' ? 'data.' : ''}${ref.type}.${ref.name}`;
        const r = declared.get(`${ref.mode}:${ref.type}.${ref.name}`);
        if (!r) {
          problems.push(`${where}: ${label} is not declared in ${m.path}`);
          continue;
        }
        const schema = schemaFor(m, providerOf(r), [], where);
        const cls = schema?.classOf(r.mode, r.type);
        if (!schema || !cls) continue; // reported with the resource itself
        const repeated = 'for_each' in r.body || 'count' in r.body;
        let steps = ref.steps;
        if (repeated) {
          if (steps[0]?.kind === 'attr') {
            problems.push(
              `${where}: ${label} has ${'count' in r.body ? 'count' : 'for_each'}: index it before .${steps[0].name}`,
            );
            continue;
          }
          steps = steps.slice(1);
        } else if (steps[0] && steps[0].kind !== 'attr') {
          problems.push(`${where}: ${label} is a single instance and cannot be indexed`);
          continue;
        }
        checkChain(schema, schema.instance(cls), steps, label, where);
        // `for k, v in google_x.y : … v.attr`: the loop variable is an instance.
        if (repeated && ref.steps.length === 0) {
          const loop = /for\s+([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+$/.exec(
            s.slice(0, ref.end - label.length),
          );
          const variable = loop?.[2] ?? loop?.[1];
          if (!variable) continue;
          for (const use of s.slice(ref.end).matchAll(new RegExp(`(?<![\\w.])${variable}(?=[.[])`, 'g'))) {
            const at = ref.end + (use.index ?? 0) + variable.length;
            checkChain(schema, schema.instance(cls), stepsAt(s, at), `${label}[…]`, where);
          }
        }
      }
    }
  }
}

/**
 * Everything in the configuration at `dir` that the provider schemas of the pinned versions
 * reject, as messages (empty when all is well).
 */
export function providerSchemaProblems(dir: string): string[] {
  const modules = loadTerraform(dir);
  const problems: string[] = [];
  const root = modules[0] as TfModule;
  const byDir = new Map(modules.map((m) => [m.dir, m]));

  // The root pins each provider to the exact version whose schema is checked; modules admit it.
  for (const [name, p] of Object.entries(root.requiredProviders)) {
    const schema = schemaFor(root, name, problems, `${root.path}/versions.tf`);
    if (!schema) continue;
    const pinned = (p.version ?? '').replace(/^\s*=\s*/, '').trim();
    if (pinned !== schema.version) {
      problems.push(
        `versions.tf: ${p.source} is constrained to "${p.version ?? ''}" but the schema checked is ${schema.version} (${schema.pkg} ${schema.pkgVersion}): pin "${schema.version}"`,
      );
    }
  }
  for (const m of modules.slice(1)) {
    for (const [name, p] of Object.entries(m.requiredProviders)) {
      if (!Object.values(root.requiredProviders).some((r) => r.source === p.source)) {
        problems.push(`${m.path}/versions.tf: ${p.source} is not required by the root module`);
        continue;
      }
      const schema = schemaFor(m, name, problems, `${m.path}/versions.tf`);
      if (schema && p.version && !satisfies(schema.version, p.version)) {
        problems.push(`${m.path}/versions.tf: ${name} "${p.version}" does not admit ${schema.version}`);
      }
    }
  }

  for (const m of modules) {
    // Module calls: an explicit providers map replaces inheritance, so it must name them all.
    for (const [call, args] of Object.entries(m.calls)) {
      const child = byDir.get(join(m.dir, literal(args.source) ?? ''));
      if (!child || typeof args.providers !== 'string') continue;
      const passed = [...args.providers.matchAll(/([A-Za-z][\w-]*)\s*=/g)].map((p) => p[1] as string);
      const used = new Set([...Object.keys(child.requiredProviders), ...child.resources.map(providerOf)]);
      for (const p of used) {
        if (!passed.includes(p)) {
          problems.push(
            `${m.path}: module "${call}" is given providers {${passed.join(', ')}} but uses "${p}" too: pass ${p} = ${p}`,
          );
        }
      }
    }
    for (const r of m.resources) {
      const label = `${r.mode === 'data' ? 'data.' : ''}${r.type}.${r.name}`;
      const where = `${m.path}/${r.file}: ${label}`;
      const provider = providerOf(r);
      const schema = schemaFor(m, provider, problems, where);
      if (!schema) continue;
      const cls = schema.classOf(r.mode, r.type);
      if (!cls) {
        const elsewhere = Object.keys(m.requiredProviders).find(
          (p) => p !== provider && schemaFor(m, p, [], where)?.classOf(r.mode, r.type),
        );
        const hint = elsewhere
          ? ` (${elsewhere} has it: provider = ${elsewhere})`
          : suggest(r.type, schema.names(r.mode));
        problems.push(
          `${where}: ${schema.source} ${schema.version} has no ${r.mode === 'data' ? 'data source' : 'resource'} ${r.type}${hint}`,
        );
        continue;
      }
      checkBody(schema, `${cls}Config`, r.body, where, true, problems);
      for (const target of addresses(r.body.depends_on)) {
        const isData = target.startsWith('data.');
        const [type, name] = target.replace(/^data\./, '').split('.');
        if (
          type?.includes('_') &&
          !m.resources.some((x) => x.type === type && x.name === name && (x.mode === 'data') === isData)
        ) {
          problems.push(`${where}: depends_on ${target}, which ${m.path} does not declare`);
        }
      }
    }
    checkReferences(m, problems);
  }
  return problems;
}
