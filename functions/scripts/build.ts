/**
 * Bundles each function on its own (esbuild): `dist/functions/<name>/index.js` plus a
 * package.json naming only the packages that bundle imports, so a function deploys and
 * loads nothing of the others. SDKs stay external (installed by the buildpack; some carry
 * native code or large protobuf files); functions-framework must stay external because
 * the framework that runs the function has to be the one the function registers with.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { MANIFEST } from '../src/manifest.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'dist', 'functions');

const EXTERNAL = [
  '@google-cloud/functions-framework',
  '@google-cloud/firestore',
  '@google-cloud/pubsub',
  '@google-cloud/storage',
  '@google-cloud/secret-manager',
  'firebase-admin',
  'sharp',
];

/**
 * The Node.js major the bundles are built for; the Cloud Functions runtime
 * (`terraform/modules/functions` `runtime`) must be the same one, and supported by Google
 * (functions/scripts/terraform/runtime-lifecycle.ts checks both).
 */
export const NODE_MAJOR = 22;
export const BUILD_TARGET = `node${NODE_MAJOR}`;

/** The package.json deployed beside a bundle: only what it imports, for this Node major. */
export function bundlePackage(name: string, dependencies: Record<string, string>) {
  return {
    name: `taskman-${name}`,
    private: true,
    type: 'module',
    main: 'index.js',
    engines: { node: String(NODE_MAJOR) },
    dependencies,
  };
}

/** The bare package name of an import path (`@scope/name/sub` → `@scope/name`). */
function packageOf(path: string): string {
  const parts = path.split('/');
  return path.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? path);
}

async function versions(): Promise<Record<string, string>> {
  const lock = JSON.parse(await readFile(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const found: Record<string, string> = {};
  for (const name of EXTERNAL) {
    const v = lock.packages[`node_modules/${name}`]?.version;
    if (v) found[name] = v;
  }
  return found;
}

export interface BuiltFunction {
  name: string;
  bytes: number;
  dependencies: Record<string, string>;
}

export async function buildAll(): Promise<BuiltFunction[]> {
  await rm(out, { recursive: true, force: true });
  const pinned = await versions();
  const built: BuiltFunction[] = [];
  for (const spec of MANIFEST) {
    const dir = join(out, spec.name);
    await mkdir(dir, { recursive: true });
    const result = await build({
      entryPoints: [join(root, 'functions', 'src', `${spec.entry}.ts`)],
      outfile: join(dir, 'index.js'),
      bundle: true,
      platform: 'node',
      target: BUILD_TARGET,
      format: 'esm',
      minify: true,
      sourcemap: 'linked',
      external: EXTERNAL,
      metafile: true,
      legalComments: 'none',
      // Bundled CommonJS code (pino and friends) needs a require in ESM output.
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'warning',
    });
    const meta: Metafile = result.metafile;
    const imported = new Set<string>();
    for (const o of Object.values(meta.outputs))
      for (const i of o.imports) if (i.external) imported.add(packageOf(i.path));
    const dependencies = Object.fromEntries(
      [...imported]
        .filter((p) => pinned[p])
        .sort()
        .map((p) => [p, pinned[p] as string]),
    );
    const pkg = bundlePackage(spec.name, dependencies);
    await writeFile(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
    const bytes =
      meta.outputs[relative(process.cwd(), join(dir, 'index.js'))]?.bytes ??
      Object.entries(meta.outputs).find(([k]) => k.endsWith('index.js'))?.[1].bytes ??
      0;
    built.push({ name: spec.name, bytes, dependencies });
  }
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildAll();
  for (const b of built) {
    console.log(
      `${b.name.padEnd(16)} ${(b.bytes / 1024).toFixed(0).padStart(5)} KiB  ${Object.keys(b.dependencies).join(', ')}`,
    );
  }
  console.log(`Built ${built.length} functions into ${relative(process.cwd(), out)}/`);
}
