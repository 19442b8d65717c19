/** Types come from the bytes of the real fixtures, whatever their names say. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sniffImageType } from './image.ts';

const fixtures = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'images');
const head = (name: string) => readFileSync(join(fixtures, name)).subarray(0, 64);

describe('sniffImageType', () => {
  it.each([
    ['2569067123_aca715a2ee_o.jpg', 'jpeg'],
    ['Channel_digital_image_CMYK_color.jpg', 'jpeg'],
    ['truncated.jpg', 'jpeg'],
    ['Flag_of_the_Netherlands-16bit.png', 'png'],
    ['65536-uint32-limit.png', 'png'],
    ['4.webp', 'webp'],
    ['rotating-squares.webp', 'webp'],
    ['rotating-squares.gif', 'gif'],
    ['pitm.avif', 'avif'],
  ])('%s is %s', (name, type) => {
    expect(sniffImageType(head(name))).toBe(type);
  });

  it.each([
    ['HTML renamed .jpg', Buffer.from('<!DOCTYPE html><html><body>hi</body></html>')],
    ['empty', Buffer.alloc(0)],
    ['PDF', Buffer.from('%PDF-1.7\n')],
    ['an SVG (script-capable, refused)', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['an MP4', Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom')],
  ])('%s is not an image', (_, bytes) => {
    expect(sniffImageType(bytes)).toBeNull();
  });

  it('knows TIFF in both byte orders', () => {
    expect(sniffImageType(Buffer.from('II*\0\x08\0\0\0', 'latin1'))).toBe('tiff');
    expect(sniffImageType(Buffer.from('MM\0*\0\0\0\x08', 'latin1'))).toBe('tiff');
  });
});
