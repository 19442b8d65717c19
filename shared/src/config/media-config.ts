/**
 * The media pipeline's configuration, like the storage-resize-images extension offers it:
 * sizes, output formats, include / exclude paths, cache control, delete-original policy,
 * failed-file quarantine, pixel and byte limits. Read from the environment on first use
 * and validated; the dev host and the reprocess command validate it at start.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { OutputFormat, VariantSpec } from '../domain/image.ts';

const SIZE = /^([a-z][a-z0-9_-]{0,31}):(\d{1,5})x(\d{1,5})$/;

const SizesSchema = z.string().transform((v, ctx) => {
  const sizes: { name: string; width: number; height: number }[] = [];
  for (const part of v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = part.match(SIZE);
    const width = Number(m?.[2]);
    const height = Number(m?.[3]);
    if (!m || width < 1 || height < 1 || width > 8192 || height > 8192) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not name:WIDTHxHEIGHT (1..8192)` });
      return z.NEVER;
    }
    sizes.push({ name: m[1]!, width, height });
  }
  if (sizes.length === 0) ctx.addIssue({ code: 'custom', message: 'at least one size' });
  if (new Set(sizes.map((s) => s.name)).size !== sizes.length)
    ctx.addIssue({ code: 'custom', message: 'size names must differ' });
  return sizes;
});

const FormatsSchema = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.enum(['auto', 'jpeg', 'webp', 'avif', 'png']))
      .min(1)
      .max(4),
  );

const PathsSchema = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const MediaConfigSchema = z.object({
  bucket: z.string().min(3).max(222),
  sizes: SizesSchema.prefault('thumb:200x200,small:640x640,medium:1280x1280'),
  /** The first is the primary format (variant named after its size); others add `<size>-<format>`. */
  formats: FormatsSchema.prefault('auto'),
  quality: z.coerce.number().int().min(1).max(100).default(82),
  /** Globs over object names (`*` one segment, `**` any); empty: everything under uploads/. */
  includePaths: PathsSchema.prefault(''),
  excludePaths: PathsSchema.prefault(''),
  cacheControl: z.string().max(200).default('private, max-age=31536000, immutable'),
  deleteOriginal: z.enum(['never', 'on-success', 'always']).default('never'),
  /** Prefix failed originals are copied to (for inspection); empty turns quarantine off. */
  failedPrefix: z.string().max(100).default('failed/'),
  maxPixels: z.coerce.number().int().min(1).max(1_000_000_000).default(100_000_000),
  maxUploadBytes: z.coerce
    .number()
    .int()
    .min(1)
    .default(25 * 1024 * 1024),
  maxMultipartBytes: z.coerce
    .number()
    .int()
    .min(1)
    .default(10 * 1024 * 1024),
  uploadUrlTtlSeconds: z.coerce
    .number()
    .int()
    .min(60)
    .max(7 * 24 * 3600)
    .default(900),
  downloadUrlTtlSeconds: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 24 * 3600)
    .default(300),
  /** How long a worker holds an upload it processes: longer than processUpload's timeout. */
  processingLeaseSeconds: z.coerce.number().int().min(10).max(3600).default(180),
  /** How long a media whose bytes never arrive is kept (a Firestore TTL on `expiresAt`). */
  pendingRetentionHours: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 24)
    .default(24),
});

export type MediaConfig = z.infer<typeof MediaConfigSchema>;

const ENV: Record<keyof MediaConfig, string> = {
  bucket: 'MEDIA_BUCKET',
  sizes: 'MEDIA_SIZES',
  formats: 'MEDIA_FORMATS',
  quality: 'MEDIA_QUALITY',
  includePaths: 'MEDIA_INCLUDE_PATHS',
  excludePaths: 'MEDIA_EXCLUDE_PATHS',
  cacheControl: 'MEDIA_CACHE_CONTROL',
  deleteOriginal: 'MEDIA_DELETE_ORIGINAL',
  failedPrefix: 'MEDIA_FAILED_PREFIX',
  maxPixels: 'MEDIA_MAX_PIXELS',
  maxUploadBytes: 'MEDIA_MAX_UPLOAD_BYTES',
  maxMultipartBytes: 'MEDIA_MAX_MULTIPART_BYTES',
  uploadUrlTtlSeconds: 'MEDIA_UPLOAD_URL_TTL_SECONDS',
  downloadUrlTtlSeconds: 'MEDIA_DOWNLOAD_URL_TTL_SECONDS',
  processingLeaseSeconds: 'MEDIA_PROCESSING_LEASE_SECONDS',
  pendingRetentionHours: 'MEDIA_PENDING_RETENTION_HOURS',
};

/** Where objects go: originals, variants (ignored by the trigger), quarantine. */
export const UPLOADS_PREFIX = 'uploads/';
export const VARIANTS_PREFIX = 'variants/';
/** Custom metadata key marking objects the pipeline wrote, so it never re-triggers itself. */
export const VARIANT_MARKER = 'taskman-variant';

export function parseMediaConfig(env: NodeJS.ProcessEnv): MediaConfig {
  const projectId = env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT ?? 'demo-taskman';
  const input = Object.fromEntries(
    Object.entries(ENV).map(([key, name]) => [
      key,
      env[name] === '' && key !== 'failedPrefix' ? undefined : env[name],
    ]),
  );
  input.bucket ??= `${projectId}-media`;
  const result = MediaConfigSchema.refine(
    // A pending media must outlive the URL its bytes are sent to.
    (c) => c.pendingRetentionHours * 3600 > c.uploadUrlTtlSeconds,
    { path: ['pendingRetentionHours'], message: 'must be longer than MEDIA_UPLOAD_URL_TTL_SECONDS' },
  ).safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `${ENV[i.path[0] as keyof MediaConfig] ?? i.path.join('.')}: ${i.message}`,
    );
    throw new Error(`Invalid media configuration: ${lines.join('; ')}`);
  }
  return result.data;
}

let cached: MediaConfig | undefined;

export function mediaConfig(): MediaConfig {
  cached ??= parseMediaConfig(process.env);
  return cached;
}

/** Converts a glob (`*` one path segment, `**` any depth) to a whole-name RegExp. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether the trigger should process this object at all. */
export function isProcessable(config: MediaConfig, name: string, metadata: Record<string, string>): boolean {
  if (!name.startsWith(UPLOADS_PREFIX) || metadata[VARIANT_MARKER]) return false;
  if (config.includePaths.length > 0 && !config.includePaths.some((g) => globToRegExp(g).test(name)))
    return false;
  return !config.excludePaths.some((g) => globToRegExp(g).test(name));
}

/** The variants to render for an image: every size in every format. */
export function variantPlan(config: MediaConfig, hasAlpha: boolean): VariantSpec[] {
  const resolve = (f: MediaConfig['formats'][number]): OutputFormat =>
    f === 'auto' ? (hasAlpha ? 'webp' : 'jpeg') : f;
  const formats = [...new Set(config.formats.map(resolve))];
  return config.sizes.flatMap((size) =>
    formats.map((format, i) => ({
      name: i === 0 ? size.name : `${size.name}-${format}`,
      width: size.width,
      height: size.height,
      format,
      quality: config.quality,
    })),
  );
}

/** Identifies the rendering settings: media processed with another hash need reprocessing. */
export function configHashOf(config: Pick<MediaConfig, 'sizes' | 'formats' | 'quality'>): string {
  return createHash('sha256')
    .update(JSON.stringify([config.sizes, config.formats, config.quality]))
    .digest('hex')
    .slice(0, 16);
}
