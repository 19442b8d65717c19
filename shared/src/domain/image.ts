/**
 * Image types and variant shapes, and an upload's type decided from its first bytes, never
 * from its name or declared type. Only the image types of API.md are recognised; anything
 * else (HTML renamed `.jpg`, a PDF, an empty file) is `null`.
 */

export type ImageType = 'jpeg' | 'png' | 'gif' | 'webp' | 'avif' | 'heif' | 'tiff';

/** The formats variants are written in. */
export type OutputFormat = 'jpeg' | 'webp' | 'avif' | 'png';

/** One variant to produce: fit inside width × height, never enlarged. */
export interface VariantSpec {
  name: string;
  width: number;
  height: number;
  format: OutputFormat;
  /** 1..100 */
  quality: number;
}

export const CONTENT_TYPES: Readonly<Record<ImageType, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  heif: 'image/heif',
  tiff: 'image/tiff',
};

/** Declared types a client may announce for an upload (checked again from the bytes). */
export const ACCEPTED_CONTENT_TYPES = new Set([
  ...Object.values(CONTENT_TYPES),
  'image/jpg',
  'image/heic',
  'image/heic-sequence',
  'image/heif-sequence',
  'image/avif-sequence',
  'application/octet-stream',
]);

/** How many leading bytes `sniffImageType` needs. */
export const SNIFF_BYTES = 32;

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

export function sniffImageType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (bytes.length >= 4 && (ascii(bytes, 0, 4) === 'II*\0' || ascii(bytes, 0, 4) === 'MM\0*')) return 'tiff';
  if (bytes.length >= 12 && ascii(bytes, 4, 8) === 'ftyp') {
    // ISO base media file: the major brand, then compatible brands up to the box's size.
    const boxSize = Math.min(
      ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0,
      bytes.length,
    );
    const brands = [ascii(bytes, 8, 12)];
    for (let i = 16; i + 4 <= boxSize; i += 4) brands.push(ascii(bytes, i, i + 4));
    if (brands.some((b) => AVIF_BRANDS.has(b))) return 'avif';
    if (brands.some((b) => HEIF_BRANDS.has(b))) return 'heif';
  }
  return null;
}
