/**
 * Image work the media pipeline needs: read a header cheaply (type, dimensions, pixel
 * count) and render size variants. sharp is the production adapter.
 */
import type { ImageType, OutputFormat, VariantSpec } from '../domain/image.ts';

/** What the header says, before any pixel is decoded. */
export interface ImageHeader {
  type: ImageType;
  /** As stored (before EXIF orientation is applied). */
  width: number;
  height: number;
  /** Frames (animated GIF/WebP) or items (HEIF); 1 for stills. */
  pages: number;
  /** EXIF orientation 1..8 (1 when absent). */
  orientation: number;
  /** Whether the image has an alpha channel (decides JPEG vs WebP for `auto` output). */
  hasAlpha: boolean;
}

export interface RenderedVariant {
  name: string;
  width: number;
  height: number;
  format: OutputFormat;
  contentType: string;
  bytes: Buffer;
}

export interface RenderResult {
  /** Dimensions of the original once upright (EXIF orientation applied). */
  width: number;
  height: number;
  variants: RenderedVariant[];
}

/** Why an image was refused, in words a user can read. */
export class ImageRejected extends Error {
  constructor(
    readonly reason: 'unsupported' | 'too-many-pixels' | 'truncated' | 'corrupt' | 'empty' | 'too-large',
    message: string,
  ) {
    super(message);
    this.name = 'ImageRejected';
  }
}

export interface ImageProcessor {
  /**
   * Reads the header from the leading bytes only. Throws ImageRejected for unsupported
   * types, corrupt headers and images over `maxPixels` (a decompression bomb is refused
   * here, without decoding). Returns null when `head` is too short to hold the header.
   * `totalSize` is the size of the whole file: only with it can a header cut short by the
   * `head` slice (null: send more bytes) be told from a corrupt one (thrown once `head` is
   * the whole file). Without it every answer a cut could explain is null.
   */
  inspect(head: Buffer, maxPixels: number, totalSize?: number): Promise<ImageHeader | null>;
  /**
   * Decodes the whole image once (first frame of animations), applies EXIF orientation,
   * converts to sRGB 8-bit, strips metadata, and renders every variant. Throws
   * ImageRejected for truncated or corrupt data.
   */
  render(bytes: Buffer, variants: readonly VariantSpec[], maxPixels: number): Promise<RenderResult>;
}
