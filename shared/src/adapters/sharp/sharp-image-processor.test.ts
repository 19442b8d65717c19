/**
 * SharpImageProcessor on the real fixtures (shared/fixtures/images): every image gets its
 * expected outcome, hostile ones a reason. Pixels are compared, not only sizes, so a
 * missing rotation or colour conversion fails a test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { VariantSpec } from '../../domain/image.ts';
import { type ImageHeader, ImageRejected } from '../../ports/image-processor.ts';
import { SharpImageProcessor } from './sharp-image-processor.ts';

const fixtures = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'fixtures', 'images');
const read = (name: string): Buffer => readFileSync(join(fixtures, name));

const MAX_PIXELS = 100_000_000;
const DEFAULT_VARIANTS: readonly VariantSpec[] = [
  { name: 'thumb', width: 200, height: 200, format: 'jpeg', quality: 80 },
  { name: 'small', width: 640, height: 640, format: 'jpeg', quality: 80 },
  { name: 'medium', width: 1280, height: 1280, format: 'jpeg', quality: 80 },
];
/** One lossless variant larger than any fixture it is used on: pixels as decoded. */
const LOSSLESS_FULL_SIZE: readonly VariantSpec[] = [
  { name: 'full', width: 8000, height: 8000, format: 'png', quality: 100 },
];

const processor = new SharpImageProcessor();

async function rejected(work: Promise<unknown>, reason: ImageRejected['reason']): Promise<ImageRejected> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageRejected);
  expect((error as ImageRejected).reason).toBe(reason);
  return error as ImageRejected;
}

/** Mean absolute difference per sample of two equally sized raw buffers. */
function meanDifference(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** A 32x24 grayscale thumbprint of an image as stored (no EXIF rotation applied). */
const thumbprint = (image: Buffer): Promise<Buffer> =>
  sharp(image).resize(32, 24, { fit: 'fill' }).greyscale().raw().toBuffer();

const rgb = (image: Buffer, options: { ignoreIcc?: boolean } = {}): Promise<Buffer> =>
  sharp(image, options).toColourspace('srgb').removeAlpha().raw().toBuffer();

describe('render: every accepted fixture', () => {
  it.each([
    ['2569067123_aca715a2ee_o.jpg', 2725, 2225],
    ['flowers.jpeg', 1920, 1080],
    ['Landscape_1.jpg', 600, 450],
    ['Landscape_3.jpg', 600, 450],
    ['Landscape_6.jpg', 600, 450],
    ['Landscape_8.jpg', 600, 450],
    ['Channel_digital_image_CMYK_color.jpg', 500, 333],
    ['Flag_of_the_Netherlands-16bit.png', 900, 600],
    ['blackbug.png', 2048, 1536],
    ['4.webp', 1024, 772],
    // The primary item (a 4x1 grid), not the first 1024x800 tile.
    ['pitm.avif', 4096, 800],
    ['rotating-squares.gif', 80, 80],
    ['rotating-squares.webp', 80, 80],
  ])(
    '%s → 3 variants inside their boxes, never enlarged, sRGB 8-bit, no metadata',
    async (name, width, height) => {
      const result = await processor.render(read(name), DEFAULT_VARIANTS, MAX_PIXELS);

      expect({ width: result.width, height: result.height }).toEqual({ width, height });
      expect(result.variants.map((v) => v.name)).toEqual(['thumb', 'small', 'medium']);
      for (const [i, variant] of result.variants.entries()) {
        const box = DEFAULT_VARIANTS[i]!;
        expect(variant.width).toBeLessThanOrEqual(Math.min(box.width, width));
        expect(variant.height).toBeLessThanOrEqual(Math.min(box.height, height));
        // Fills the box on one side, or is the original size.
        expect(
          variant.width === Math.min(box.width, width) || variant.height === Math.min(box.height, height),
        ).toBe(true);
        expect(Math.abs(variant.width / variant.height - width / height)).toBeLessThan(2 / variant.height);
        expect(variant.contentType).toBe('image/jpeg');

        const meta = await sharp(variant.bytes).metadata();
        expect(meta).toMatchObject({
          format: 'jpeg',
          width: variant.width,
          height: variant.height,
          space: 'srgb',
          depth: 'uchar',
          channels: 3,
        });
        expect(meta.exif).toBeUndefined();
        expect(meta.xmp).toBeUndefined();
        expect(meta.iptc).toBeUndefined();
        expect(meta.icc).toBeUndefined();
        expect(meta.orientation).toBeUndefined();
        expect(meta.pages ?? 1).toBe(1);
      }
    },
  );

  it('never enlarges: the 900x600 flag stays 900x600 as medium, the 80x80 GIF stays 80x80', async () => {
    const flag = await processor.render(
      read('Flag_of_the_Netherlands-16bit.png'),
      DEFAULT_VARIANTS,
      MAX_PIXELS,
    );
    expect(flag.variants.map((v) => [v.width, v.height])).toEqual([
      [200, 133],
      [640, 427],
      [900, 600],
    ]);
    const gif = await processor.render(read('rotating-squares.gif'), DEFAULT_VARIANTS, MAX_PIXELS);
    expect(gif.variants.map((v) => [v.width, v.height])).toEqual([
      [80, 80],
      [80, 80],
      [80, 80],
    ]);
  });

  it('strips the metadata the inputs do carry (EXIF, XMP, IPTC, ICC)', async () => {
    for (const name of ['Landscape_1.jpg', 'Channel_digital_image_CMYK_color.jpg']) {
      const input = await sharp(read(name)).metadata();
      expect(input.exif).toBeDefined();
      expect(input.xmp).toBeDefined();
      const variants: VariantSpec[] = (['jpeg', 'webp', 'png', 'avif'] as const).map((format) => ({
        name: format,
        width: 200,
        height: 200,
        format,
        quality: 60,
      }));
      const result = await processor.render(read(name), variants, MAX_PIXELS);
      for (const variant of result.variants) {
        const meta = await sharp(variant.bytes).metadata();
        expect([meta.exif, meta.xmp, meta.iptc, meta.icc, meta.orientation]).toEqual([
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
        ]);
      }
    }
  });

  it('encodes each variant in its own format with the right content type', async () => {
    const variants: VariantSpec[] = [
      { name: 'a', width: 200, height: 200, format: 'jpeg', quality: 80 },
      { name: 'b', width: 300, height: 300, format: 'webp', quality: 80 },
      { name: 'c', width: 160, height: 160, format: 'avif', quality: 50 },
      { name: 'd', width: 120, height: 120, format: 'png', quality: 100 },
    ];
    const result = await processor.render(read('flowers.jpeg'), variants, MAX_PIXELS);
    const formats = await Promise.all(
      result.variants.map(async (v) => (await sharp(v.bytes).metadata()).format),
    );
    expect(formats).toEqual(['jpeg', 'webp', 'heif', 'png']);
    expect(result.variants.map((v) => v.contentType)).toEqual([
      'image/jpeg',
      'image/webp',
      'image/avif',
      'image/png',
    ]);
    expect(result.variants.map((v) => [v.width, v.height])).toEqual([
      [200, 113],
      [300, 169],
      [160, 90],
      [120, 68],
    ]);
  });
});

describe('render: orientation', () => {
  it('the thumbprint tells orientations apart (so the tests below can fail)', async () => {
    const upright = await thumbprint(read('Landscape_1.jpg'));
    const storedUpsideDown = await thumbprint(read('Landscape_3.jpg'));
    expect(meanDifference(storedUpsideDown, upright)).toBeGreaterThan(30);
    const mirrored = await thumbprint(await sharp(read('Landscape_1.jpg')).flop().toBuffer());
    expect(meanDifference(mirrored, upright)).toBeGreaterThan(30);
  });

  it.each(['Landscape_3.jpg', 'Landscape_6.jpg', 'Landscape_8.jpg'])(
    '%s comes out upright: the size and the pixels of Landscape_1',
    async (name) => {
      const reference = await processor.render(read('Landscape_1.jpg'), DEFAULT_VARIANTS, MAX_PIXELS);
      const result = await processor.render(read(name), DEFAULT_VARIANTS, MAX_PIXELS);
      expect([result.width, result.height]).toEqual([600, 450]);
      for (const [i, variant] of result.variants.entries()) {
        const expected = reference.variants[i]!;
        expect([variant.width, variant.height]).toEqual([expected.width, expected.height]);
        expect(
          meanDifference(await thumbprint(variant.bytes), await thumbprint(expected.bytes)),
        ).toBeLessThan(8);
      }
    },
  );

  it('inspect reports the size as stored, with its orientation', async () => {
    const bytes = read('Landscape_6.jpg');
    expect(await processor.inspect(bytes, MAX_PIXELS, bytes.length)).toMatchObject({
      width: 450,
      height: 600,
      orientation: 6,
    });
  });
});

describe('render: colour, depth, alpha, frames', () => {
  it('converts CMYK to sRGB through its embedded ICC profile', async () => {
    const input = read('Channel_digital_image_CMYK_color.jpg');
    expect(await sharp(input).metadata()).toMatchObject({ space: 'cmyk', hasProfile: true });
    const [variant] = (await processor.render(input, LOSSLESS_FULL_SIZE, MAX_PIXELS)).variants;
    expect(await sharp(variant!.bytes).metadata()).toMatchObject({
      space: 'srgb',
      channels: 3,
      depth: 'uchar',
    });
    const output = await rgb(variant!.bytes);
    expect(meanDifference(output, await rgb(input))).toBeLessThan(1.5);
    // Converting without the profile is visibly different, so the check above can fail.
    expect(meanDifference(output, await rgb(input, { ignoreIcc: true }))).toBeGreaterThan(5);
  });

  it('converts a Display P3 image to sRGB through its profile', async () => {
    const original = read('flowers.jpeg');
    const p3 = await sharp(original).withIccProfile('p3').png().toBuffer();
    const [variant] = (await processor.render(p3, LOSSLESS_FULL_SIZE, MAX_PIXELS)).variants;
    const output = await rgb(variant!.bytes);
    const asSrgb = meanDifference(output, await rgb(original));
    const profileIgnored = meanDifference(await rgb(p3, { ignoreIcc: true }), await rgb(original));
    expect(asSrgb).toBeLessThan(profileIgnored / 2);
  });

  it('turns the 16-bit PNG into 8-bit with the flag colours intact', async () => {
    const input = read('Flag_of_the_Netherlands-16bit.png');
    expect(await sharp(input).metadata()).toMatchObject({ depth: 'ushort', bitsPerSample: 16 });
    const [variant] = (await processor.render(input, LOSSLESS_FULL_SIZE, MAX_PIXELS)).variants;
    expect(await sharp(variant!.bytes).metadata()).toMatchObject({ depth: 'uchar', bitsPerSample: 8 });
    const { data, info } = await sharp(variant!.bytes).raw().toBuffer({ resolveWithObject: true });
    const pixel = (y: number) => [
      ...data.subarray(y * info.width * info.channels, y * info.width * info.channels + 3),
    ];
    const close = (actual: number[], expected: number[]) =>
      actual.every((value, i) => Math.abs(value - expected[i]!) <= 3);
    expect(close(pixel(10), [174, 28, 40])).toBe(true); // #AE1C28
    expect(close(pixel(300), [255, 255, 255])).toBe(true);
    expect(close(pixel(590), [33, 70, 139])).toBe(true); // #21468B
  });

  it('keeps alpha for WebP and PNG, drops it for JPEG', async () => {
    const variants: VariantSpec[] = [
      { name: 'webp', width: 640, height: 640, format: 'webp', quality: 80 },
      { name: 'png', width: 640, height: 640, format: 'png', quality: 100 },
      { name: 'avif', width: 200, height: 200, format: 'avif', quality: 50 },
      { name: 'jpeg', width: 640, height: 640, format: 'jpeg', quality: 80 },
    ];
    const result = await processor.render(read('blackbug.png'), variants, MAX_PIXELS);
    const alpha = await Promise.all(
      result.variants.map(async (v) => (await sharp(v.bytes).metadata()).hasAlpha),
    );
    expect(alpha).toEqual([true, true, true, false]);
  });

  it('flattens transparency onto white for JPEG', async () => {
    // Transparent black: dropping alpha instead of flattening would give black.
    const transparent = await sharp({
      create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const variants: VariantSpec[] = [
      { name: 'jpeg', width: 32, height: 32, format: 'jpeg', quality: 90 },
      { name: 'png', width: 32, height: 32, format: 'png', quality: 100 },
    ];
    const [jpeg, png] = (await processor.render(transparent, variants, MAX_PIXELS)).variants;
    const jpegPixels = await sharp(jpeg!.bytes).raw().toBuffer();
    expect(Math.min(...jpegPixels)).toBeGreaterThanOrEqual(250);
    const pngPixels = await sharp(png!.bytes).raw().toBuffer();
    expect(pngPixels[3]).toBe(0);
  });

  it.each(['rotating-squares.gif', 'rotating-squares.webp'])(
    '%s (animated) → a still of its first frame',
    async (name) => {
      const input = read(name);
      expect((await sharp(input).metadata()).pages).toBeGreaterThan(1);
      const variants: VariantSpec[] = [
        { name: 'webp', width: 200, height: 200, format: 'webp', quality: 80 },
        ...LOSSLESS_FULL_SIZE,
      ];
      const [webp, png] = (await processor.render(input, variants, MAX_PIXELS)).variants;
      expect((await sharp(webp!.bytes).metadata()).pages ?? 1).toBe(1);
      const firstFrame = await sharp(input, { pages: 1, page: 0 }).raw().toBuffer();
      expect(meanDifference(await sharp(png!.bytes).raw().toBuffer(), firstFrame)).toBeLessThan(1);
    },
  );

  it('renders TIFF', async () => {
    const tiff = await sharp(read('flowers.jpeg')).tiff({ compression: 'lzw' }).toBuffer();
    const result = await processor.render(tiff, DEFAULT_VARIANTS, MAX_PIXELS);
    expect([result.width, result.height]).toEqual([1920, 1080]);
    expect(result.variants.map((v) => v.width)).toEqual([200, 640, 1280]);
  });
});

describe('hostile images', () => {
  it('truncated.jpg: the header is intact, the pixels are missing → truncated', async () => {
    const bytes = read('truncated.jpg');
    expect(await processor.inspect(bytes, MAX_PIXELS, bytes.length)).toMatchObject({
      width: 2725,
      height: 2225,
    });
    const error = await rejected(processor.render(bytes, DEFAULT_VARIANTS, MAX_PIXELS), 'truncated');
    expect(error.message).toMatch(/incomplete/);
  });

  it('corrupt-header.jpg → corrupt, from inspect and from render', async () => {
    const bytes = read('corrupt-header.jpg');
    await rejected(processor.inspect(bytes, MAX_PIXELS, bytes.length), 'corrupt');
    await rejected(processor.render(bytes, DEFAULT_VARIANTS, MAX_PIXELS), 'corrupt');
  });

  it('65536-uint32-limit.png → too-many-pixels from its first kilobyte, naming the size', async () => {
    const bytes = read('65536-uint32-limit.png');
    // 1 KiB of a 0.5 MB file: refused from the header alone, nothing decoded.
    const error = await rejected(
      processor.inspect(bytes.subarray(0, 1024), MAX_PIXELS, bytes.length),
      'too-many-pixels',
    );
    expect(error.message).toContain('65536x65536');
    expect(error.message).toContain('100 megapixels');
  });

  it('65536-uint32-limit.png → too-many-pixels from render too', async () => {
    const bytes = read('65536-uint32-limit.png');
    await rejected(processor.render(bytes, DEFAULT_VARIANTS, MAX_PIXELS), 'too-many-pixels');
  });

  it('an HTML page named .jpg → unsupported, with a message naming the accepted types', async () => {
    const html = Buffer.from(
      '<!DOCTYPE html>\n<html><head><title>x</title></head><body>not a photo</body></html>\n',
    );
    const error = await rejected(processor.inspect(html, MAX_PIXELS, html.length), 'unsupported');
    expect(error.message).toBe('The file is not a supported image (JPEG, PNG, WebP, AVIF/HEIF, GIF, TIFF).');
    await rejected(processor.inspect(html, MAX_PIXELS), 'unsupported');
    await rejected(processor.render(html, DEFAULT_VARIANTS, MAX_PIXELS), 'unsupported');
  });

  it('a zero-byte file → empty', async () => {
    await rejected(processor.inspect(Buffer.alloc(0), MAX_PIXELS, 0), 'empty');
    await rejected(processor.inspect(Buffer.alloc(0), MAX_PIXELS), 'empty');
    await rejected(processor.render(Buffer.alloc(0), DEFAULT_VARIANTS, MAX_PIXELS), 'empty');
  });

  it.each([
    ['flowers.jpeg', 0.5],
    ['blackbug.png', 0.6],
    ['4.webp', 0.6],
    // libheif decodes this cut into garbage without complaint; the box sizes tell.
    ['pitm.avif', 0.6],
  ])('%s cut at %s of its length → truncated', async (name, fraction) => {
    const bytes = read(name);
    const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
    await rejected(processor.render(cut, DEFAULT_VARIANTS, MAX_PIXELS), 'truncated');
  });

  it('a pixel limit below the image size is enforced with the actual numbers', async () => {
    const bytes = read('2569067123_aca715a2ee_o.jpg');
    const error = await rejected(processor.render(bytes, DEFAULT_VARIANTS, 5_000_000), 'too-many-pixels');
    expect(error.message).toBe('The image is 2725x2225 pixels (6.1 megapixels); the limit is 5 megapixels.');
  });
});

describe('inspect on a head', () => {
  const whole = async (name: string): Promise<ImageHeader | null> => {
    const bytes = read(name);
    return processor.inspect(bytes, MAX_PIXELS, bytes.length);
  };

  it('reads the big photo from its first kilobyte (or asks for more), never wrongly', async () => {
    const bytes = read('2569067123_aca715a2ee_o.jpg');
    const header = await processor.inspect(bytes.subarray(0, 1024), MAX_PIXELS, bytes.length);
    if (header !== null) expect(header).toEqual(await whole('2569067123_aca715a2ee_o.jpg'));
    expect(await whole('2569067123_aca715a2ee_o.jpg')).toEqual({
      type: 'jpeg',
      width: 2725,
      height: 2225,
      pages: 1,
      orientation: 1,
      hasAlpha: false,
    });
  });

  it('a head cut inside the header → null with the file size, corrupt once it is the whole file', async () => {
    // Landscape_1's EXIF runs past its first kilobyte.
    const bytes = read('Landscape_1.jpg');
    const head = bytes.subarray(0, 1024);
    expect(await processor.inspect(head, MAX_PIXELS, bytes.length)).toBeNull();
    expect(await processor.inspect(head, MAX_PIXELS)).toBeNull();
    await rejected(processor.inspect(head, MAX_PIXELS, head.length), 'corrupt');
  });

  it.each([
    '2569067123_aca715a2ee_o.jpg',
    'flowers.jpeg',
    'Landscape_6.jpg',
    'Channel_digital_image_CMYK_color.jpg',
    'Flag_of_the_Netherlands-16bit.png',
    'blackbug.png',
    '4.webp',
    'pitm.avif',
    'rotating-squares.gif',
    'rotating-squares.webp',
    'truncated.jpg',
  ])('%s: every head gives the whole-file header or null', async (name) => {
    const bytes = read(name);
    const expected = await whole(name);
    expect(expected).not.toBeNull();
    for (const size of [16, 64, 256, 1024, 4096, 16_384, 65_536, 262_144]) {
      if (size >= bytes.length) break;
      const header = await processor.inspect(bytes.subarray(0, size), MAX_PIXELS, bytes.length);
      if (header !== null) expect({ size, header }).toEqual({ size, header: expected });
    }
  });

  it('a cut animated GIF is not read as having fewer frames', async () => {
    const bytes = read('rotating-squares.gif');
    const head = bytes.subarray(0, 8192);
    // sharp alone reads the cut as a 6-frame GIF.
    expect((await sharp(head).metadata()).pages).toBeLessThan(30);
    expect(await processor.inspect(head, MAX_PIXELS, bytes.length)).toBeNull();
    expect(await whole('rotating-squares.gif')).toMatchObject({ type: 'gif', pages: 30, hasAlpha: true });
  });

  it('without the file size, answers that a cut could explain are null', async () => {
    const gif = read('rotating-squares.gif');
    expect(await processor.inspect(gif, MAX_PIXELS)).toBeNull();
    const corrupt = read('corrupt-header.jpg');
    expect(await processor.inspect(corrupt, MAX_PIXELS)).toBeNull();
    expect(await processor.inspect(read('Landscape_6.jpg'), MAX_PIXELS)).toMatchObject({ orientation: 6 });
  });

  it('TIFF: a partial head → null, the whole file → its header', async () => {
    const tiff = await sharp(read('flowers.jpeg')).tiff({ compression: 'lzw' }).toBuffer();
    expect(await processor.inspect(tiff.subarray(0, 4096), MAX_PIXELS, tiff.length)).toBeNull();
    expect(await processor.inspect(tiff, MAX_PIXELS, tiff.length)).toMatchObject({
      type: 'tiff',
      width: 1920,
      height: 1080,
      pages: 1,
    });
  });

  it('pages and items: 5 items in pitm.avif, 9 frames in the animated WebP', async () => {
    expect(await whole('pitm.avif')).toMatchObject({ type: 'avif', width: 4096, height: 800, pages: 5 });
    expect(await whole('rotating-squares.webp')).toMatchObject({ type: 'webp', pages: 9, hasAlpha: true });
  });

  it('an empty head of a non-empty file → null, a few bytes that may still be an image → null', async () => {
    const bytes = read('flowers.jpeg');
    expect(await processor.inspect(Buffer.alloc(0), MAX_PIXELS, bytes.length)).toBeNull();
    expect(await processor.inspect(bytes.subarray(0, 2), MAX_PIXELS, bytes.length)).toBeNull();
  });
});
