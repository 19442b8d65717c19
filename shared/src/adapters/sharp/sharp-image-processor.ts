/**
 * ImageProcessor on sharp (libvips), for untrusted uploads.
 *
 * `inspect` reads only the header (no pixel is decoded), so a decompression bomb is refused
 * from its first kilobyte. It answers null rather than guess when the bytes it has cannot
 * settle the question: sharp reads some cut-off headers without complaint and returns
 * wrong facts (an animated GIF cut short has fewer frames), and a header cut short fails
 * exactly like a corrupt one ("premature end of JPEG image" for both).
 *
 * `render` decodes once, straight to the size of the largest variant (JPEG and WebP decode
 * at 1/2, 1/4 or 1/8 scale for free), upright and sRGB 8-bit, into a raw buffer; every
 * variant is resized and encoded from that buffer. On the 2725x2225 benchmark photo this
 * costs about 70 ms of CPU against about 90 ms for three independent sharp pipelines and
 * 95 ms for a full-size decode. Outputs come from raw pixels, so they carry no metadata at
 * all (EXIF, GPS, XMP, IPTC, ICC).
 *
 * sharp is imported on first use: loading libvips costs cold-start time in functions that
 * never touch an image.
 */
import type sharpFactory from 'sharp';
import type { Channels, FailOnOptions, Metadata, Sharp } from 'sharp';
import {
  type ImageType,
  type OutputFormat,
  SNIFF_BYTES,
  sniffImageType,
  type VariantSpec,
} from '../../domain/image.ts';
import {
  type ImageHeader,
  type ImageProcessor,
  ImageRejected,
  type RenderedVariant,
  type RenderResult,
} from '../../ports/image-processor.ts';

type SharpFactory = typeof sharpFactory;

// 'error' rather than sharp's default 'warning': truncation and decode errors abort, but
// the benign libjpeg warnings of many camera files (extraneous bytes before a marker) do
// not turn real photos into failures.
const FAIL_ON: FailOnOptions = 'error';

const OUTPUT_CONTENT_TYPES: Readonly<Record<OutputFormat, string>> = {
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  avif: 'image/avif',
  png: 'image/png',
};

const MESSAGES = {
  empty: 'The file is empty.',
  unsupported: 'The file is not a supported image (JPEG, PNG, WebP, AVIF/HEIF, GIF, TIFF).',
  hevc: 'HEIC photos compressed with HEVC cannot be processed; please upload JPEG, PNG, WebP or AVIF.',
  corrupt: 'The image is damaged and cannot be read.',
  truncated: 'The image file is incomplete: it ends before all of its pixels.',
} as const;

// libjpeg and nsgif say so when the pixel data stops early; for the other decoders the
// container's declared sizes tell (`declaredBeyondEnd`).
const TRUNCATION_MESSAGE = /premature end|unexpected end|truncat/i;
// libheif's answer for HEIC: sharp's prebuilt libvips has no HEVC decoder (patents).
const UNSUPPORTED_CODEC_MESSAGE = /unsupported codec|no decoding plugin/i;

let loading: Promise<SharpFactory> | undefined;

function loadSharp(): Promise<SharpFactory> {
  loading ??= import('sharp').then(
    (module) => module.default,
    (error: unknown) => {
      // A failed load (missing native binary) must not be cached for the process lifetime.
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function megapixels(pixels: number): string {
  return String(Math.round(pixels / 100_000) / 10);
}

function tooManyPixels(width: number, height: number, maxPixels: number): ImageRejected {
  return new ImageRejected(
    'too-many-pixels',
    `The image is ${width}x${height} pixels (${megapixels(width * height)} megapixels); ` +
      `the limit is ${megapixels(maxPixels)} megapixels.`,
  );
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

interface Box {
  type: string;
  start: number;
  /** Declared end; may lie beyond the bytes at hand. */
  end: number;
}

/** Top-level ISO BMFF boxes (HEIF/AVIF), as far as their headers are present. */
function* isoBoxes(bytes: Buffer): Generator<Box> {
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = bytes.readUInt32BE(offset);
    const type = ascii(bytes, offset + 4, offset + 8);
    if (size === 1) {
      if (offset + 16 > bytes.length) return;
      size = Number(bytes.readBigUInt64BE(offset + 8));
    } else if (size === 0) {
      size = bytes.length - offset;
    }
    if (size < 8) return;
    yield { type, start: offset, end: offset + size };
    offset += size;
  }
}

/** PNG chunks, as far as their headers are present. */
function* pngChunks(bytes: Buffer): Generator<Box> {
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const type = ascii(bytes, offset + 4, offset + 8);
    const end = offset + 12 + bytes.readUInt32BE(offset);
    yield { type, start: offset, end };
    offset = end;
  }
}

/**
 * Whether a header sharp read from a partial `head` is the whole truth. JPEG: libjpeg reads
 * every marker up to the first scan before it reports dimensions. PNG: chunks before the
 * first IDAT (eXIf, iCCP) are all in the head. HEIF: the whole `meta` box (items, sizes,
 * transforms) is in the head. GIF, WebP and TIFF: frames, animation chunks and directories
 * are spread over the file, so only the whole file tells how many pages there are.
 */
function headerIsComplete(type: ImageType, head: Buffer): boolean {
  switch (type) {
    case 'jpeg':
      return true;
    case 'png':
      for (const chunk of pngChunks(head)) if (chunk.type === 'IDAT') return true;
      return false;
    case 'avif':
    case 'heif':
      for (const box of isoBoxes(head)) if (box.type === 'meta') return box.end <= head.length;
      return false;
    default:
      return false;
  }
}

/**
 * Whether the container declares more bytes than there are. Decoders are inconsistent
 * about cut files: libheif decodes a cut-off AVIF into garbage without an error, libpng
 * only says "read error", libwebp refuses the header; the declared sizes settle it.
 */
function declaredBeyondEnd(type: ImageType, bytes: Buffer): boolean {
  switch (type) {
    case 'png':
      for (const chunk of pngChunks(bytes)) if (chunk.type === 'IEND') return chunk.end > bytes.length;
      return true;
    case 'webp':
      return bytes.length >= 8 && 8 + bytes.readUInt32LE(4) > bytes.length;
    case 'avif':
    case 'heif':
      for (const box of isoBoxes(bytes)) if (box.end > bytes.length) return true;
      return false;
    default:
      return false;
  }
}

/**
 * Whether a JPEG or GIF lacks its closing marker. Only a hint once decoding has failed:
 * files without an EOI marker or GIF trailer but with all their pixels are common, and a
 * JPEG cut inside its header is what the corrupt-header fixture is.
 */
function lacksTrailer(type: ImageType, bytes: Buffer): boolean {
  if (type === 'jpeg') return !(bytes.at(-2) === 0xff && bytes.at(-1) === 0xd9);
  if (type === 'gif') return bytes.at(-1) !== 0x3b;
  return false;
}

/** Target size of a fit-inside, never-enlarged resize, computed once for every variant. */
function fitInside(width: number, height: number, box: VariantSpec): { width: number; height: number } {
  const scaleX = box.width / width;
  const scaleY = box.height / height;
  if (scaleX >= 1 && scaleY >= 1) return { width, height };
  return scaleX <= scaleY
    ? { width: box.width, height: Math.max(1, Math.round(height * scaleX)) }
    : { width: Math.max(1, Math.round(width * scaleY)), height: box.height };
}

function encode(pipeline: Sharp, spec: VariantSpec, hasAlpha: boolean): Sharp {
  switch (spec.format) {
    case 'jpeg':
      return (hasAlpha ? pipeline.flatten({ background: '#ffffff' }) : pipeline).jpeg({
        quality: spec.quality,
      });
    case 'webp':
      return pipeline.webp({ quality: spec.quality });
    case 'avif':
      return pipeline.avif({ quality: spec.quality });
    case 'png':
      // Lossless: `quality` has nothing to act on without palette quantisation.
      return pipeline.png();
  }
}

export class SharpImageProcessor implements ImageProcessor {
  /**
   * `totalSize` is the size of the whole file. With it, a header that fails to parse is
   * `corrupt` once `head` holds the whole file, and null (send more bytes) before. Without
   * it, `head` may or may not be the whole file, so any answer that could come from a cut
   * is null; pass it.
   */
  async inspect(head: Buffer, maxPixels: number, totalSize?: number): Promise<ImageHeader | null> {
    if (head.length === 0) {
      if (totalSize) return null;
      throw new ImageRejected('empty', MESSAGES.empty);
    }
    const whole = totalSize !== undefined && head.length >= totalSize;
    const type = sniffImageType(head);
    if (type === null) {
      if (!whole && head.length < SNIFF_BYTES) return null;
      throw new ImageRejected('unsupported', MESSAGES.unsupported);
    }

    const sharp = await loadSharp();
    let meta: Metadata;
    try {
      // The pixel limit is checked below, not by sharp, so the refusal can name the size;
      // `metadata()` reads the header only, whatever the size.
      meta = await sharp(head, { failOn: FAIL_ON, limitInputPixels: false }).metadata();
    } catch {
      if (!whole) return null;
      throw declaredBeyondEnd(type, head)
        ? new ImageRejected('truncated', MESSAGES.truncated)
        : new ImageRejected('corrupt', MESSAGES.corrupt);
    }
    const { width, height } = meta;
    if (!(width > 0 && height > 0)) {
      if (!whole) return null;
      throw new ImageRejected('corrupt', MESSAGES.corrupt);
    }
    // Dimensions are right even when the rest of a partial header is not: refuse early.
    if (width * height > maxPixels) throw tooManyPixels(width, height, maxPixels);
    if (!whole && !headerIsComplete(type, head)) return null;
    return {
      type,
      width,
      height,
      pages: meta.pages ?? 1,
      orientation: meta.orientation ?? 1,
      hasAlpha: meta.hasAlpha,
    };
  }

  async render(bytes: Buffer, variants: readonly VariantSpec[], maxPixels: number): Promise<RenderResult> {
    const header = await this.inspect(bytes, maxPixels, bytes.length);
    if (header === null) throw new ImageRejected('corrupt', MESSAGES.corrupt);
    if (declaredBeyondEnd(header.type, bytes)) throw new ImageRejected('truncated', MESSAGES.truncated);
    const quarterTurn = header.orientation >= 5;
    const width = quarterTurn ? header.height : header.width;
    const height = quarterTurn ? header.width : header.height;
    const targets = variants.map((spec) => fitInside(width, height, spec));
    // Every target keeps the aspect ratio, so the widest is the largest.
    const largest = targets.reduce((a, b) => (b.width > a.width ? b : a), targets[0] ?? { width, height });

    const sharp = await loadSharp();
    let decoded: { data: Buffer; width: number; height: number; channels: Channels };
    try {
      // Default page selection on purpose: first frame of GIF/WebP/TIFF, but the primary
      // item of HEIF, which an explicit `page: 0` would override.
      let pipeline = sharp(bytes, { failOn: FAIL_ON, limitInputPixels: maxPixels }).rotate();
      if (largest.width < width) pipeline = pipeline.resize(largest.width, largest.height, { fit: 'fill' });
      // sRGB through the embedded ICC profile (CMYK, Display P3), 8 bits per channel.
      const { data, info } = await pipeline
        .toColourspace('srgb')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      decoded = { data, width: info.width, height: info.height, channels: info.channels };
    } catch (error) {
      throw this.decodeFailure(error, header.type, bytes, maxPixels);
    }

    const hasAlpha = decoded.channels === 2 || decoded.channels === 4;
    const rendered = await Promise.all(
      variants.map(async (spec, i): Promise<RenderedVariant> => {
        const target = targets[i]!;
        let pipeline = sharp(decoded.data, {
          raw: { width: decoded.width, height: decoded.height, channels: decoded.channels },
        });
        if (target.width !== decoded.width || target.height !== decoded.height) {
          pipeline = pipeline.resize(target.width, target.height, { fit: 'fill' });
        }
        const { data, info } = await encode(pipeline, spec, hasAlpha).toBuffer({ resolveWithObject: true });
        return {
          name: spec.name,
          width: info.width,
          height: info.height,
          format: spec.format,
          contentType: OUTPUT_CONTENT_TYPES[spec.format],
          bytes: data,
        };
      }),
    );
    return { width, height, variants: rendered };
  }

  private decodeFailure(error: unknown, type: ImageType, bytes: Buffer, maxPixels: number): ImageRejected {
    const message = messageOf(error);
    if (/exceeds pixel limit/i.test(message)) {
      // The header check let it through, so the decoder found a bigger image than declared.
      return new ImageRejected(
        'too-many-pixels',
        `The image is larger than its header says; the limit is ${megapixels(maxPixels)} megapixels.`,
      );
    }
    if ((type === 'heif' || type === 'avif') && UNSUPPORTED_CODEC_MESSAGE.test(message)) {
      return new ImageRejected('unsupported', MESSAGES.hevc);
    }
    if (TRUNCATION_MESSAGE.test(message) || declaredBeyondEnd(type, bytes) || lacksTrailer(type, bytes)) {
      return new ImageRejected('truncated', MESSAGES.truncated);
    }
    return new ImageRejected('corrupt', MESSAGES.corrupt);
  }
}
