import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../functions/core/domain/errors.js';
import {
  IMAGE_SIZE,
  IMAGE_TENSOR_LENGTH,
  IMAGENET_MEAN,
  IMAGENET_STD,
  centreCrop,
  preprocessBatch,
  preprocessImage,
  preprocessToRgb,
  rgbToTensor,
} from '../../functions/adapters/image-preprocess.js';
import { MAX_IMAGE_BYTES } from '../../functions/core/domain/product-images.js';

const FIXTURES = path.resolve(__dirname, '../fixtures/images');
const fixture = (i: number): Buffer =>
  readFileSync(path.join(FIXTURES, readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg')).sort()[i]));

/** The normalised value of one 8-bit channel value: (v/255 − mean)/std. */
const norm = (v: number, c: number): number => (v / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c];

async function solid(width: number, height: number, rgba: { r: number; g: number; b: number; alpha: number }, format: 'png' | 'jpeg' | 'webp' = 'png'): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 4, background: rgba } });
  if (format === 'png') return img.png().toBuffer();
  if (format === 'webp') return img.webp({ lossless: true }).toBuffer();
  return img.jpeg({ quality: 100 }).toBuffer();
}

/** A real small JPEG whose SOF0 header is patched to announce width×height (pixels never decodable). */
async function jpegAnnouncing(width: number, height: number): Promise<Buffer> {
  const jpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#888' } }).jpeg({ progressive: false }).toBuffer();
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  if (sof < 0) throw new Error('no SOF0 marker');
  jpeg.writeUInt16BE(height, sof + 5);
  jpeg.writeUInt16BE(width, sof + 7);
  return jpeg;
}

async function expectInvalid(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidInput);
  expect((err as Error).message).toMatch(pattern);
}

describe('centreCrop', () => {
  it('keeps a centred square of side round(0.875·min(w,h))', () => {
    expect(centreCrop(400, 533)).toEqual({ left: 25, top: 91, side: 350 });
    expect(centreCrop(533, 400)).toEqual({ left: 91, top: 25, side: 350 });
    expect(centreCrop(256, 256)).toEqual({ left: 16, top: 16, side: 224 });
    expect(centreCrop(1, 1)).toEqual({ left: 0, top: 0, side: 1 });
  });
});

describe('rgbToTensor', () => {
  it('writes CHW planes of (x/255 − mean)/std', () => {
    const rgb = new Uint8Array(IMAGE_SIZE * IMAGE_SIZE * 3);
    rgb.set([255, 0, 128], 0); // pixel (0,0)
    rgb.set([10, 20, 30], 3 * (IMAGE_SIZE + 1)); // pixel (1,1)
    const t = rgbToTensor(rgb);
    const plane = IMAGE_SIZE * IMAGE_SIZE;
    expect(t.length).toBe(IMAGE_TENSOR_LENGTH);
    expect(t[0]).toBeCloseTo(norm(255, 0), 6);
    expect(t[plane]).toBeCloseTo(norm(0, 1), 6);
    expect(t[2 * plane]).toBeCloseTo(norm(128, 2), 6);
    expect(t[IMAGE_SIZE + 1]).toBeCloseTo(norm(10, 0), 6);
    expect(t[plane + IMAGE_SIZE + 1]).toBeCloseTo(norm(20, 1), 6);
    expect(t[2 * plane + IMAGE_SIZE + 1]).toBeCloseTo(norm(30, 2), 6);
  });
});

describe('preprocessImage', () => {
  it('turns a real photo into 3·224·224 finite values within the normalised range', async () => {
    const t = await preprocessImage(fixture(0));
    expect(t).toBeInstanceOf(Float32Array);
    expect(t.length).toBe(IMAGE_TENSOR_LENGTH);
    for (let c = 0; c < 3; c++) {
      const plane = t.subarray(c * IMAGE_SIZE * IMAGE_SIZE, (c + 1) * IMAGE_SIZE * IMAGE_SIZE);
      expect(Math.min(...plane)).toBeGreaterThanOrEqual(norm(0, c) - 1e-6);
      expect(Math.max(...plane)).toBeLessThanOrEqual(norm(255, c) + 1e-6);
    }
  });

  it('keeps a uniform colour uniform (PNG, JPEG, WebP)', async () => {
    for (const format of ['png', 'webp'] as const) {
      const rgb = await preprocessToRgb(await solid(300, 200, { r: 200, g: 100, b: 50, alpha: 1 }, format));
      let off = 0;
      for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== 200 || rgb[i + 1] !== 100 || rgb[i + 2] !== 50) off++;
      expect(off, format).toBe(0);
    }
    const jpeg = await preprocessToRgb(await solid(300, 200, { r: 200, g: 100, b: 50, alpha: 1 }, 'jpeg'));
    expect(Math.abs(jpeg[0] - 200)).toBeLessThanOrEqual(2);
  });

  it('flattens transparency on white', async () => {
    const t = await preprocessImage(await solid(64, 48, { r: 0, g: 0, b: 0, alpha: 0 }));
    const plane = IMAGE_SIZE * IMAGE_SIZE;
    for (let c = 0; c < 3; c++) expect(t[c * plane + 1234]).toBeCloseTo(norm(255, c), 5);
  });

  it('applies EXIF orientation before cropping (orientation 6 = rotate 90° clockwise)', async () => {
    // 300×200 stored image, left half red, right half blue; displayed upright it is 200×300.
    const raw = Buffer.alloc(300 * 200 * 3);
    for (let y = 0; y < 200; y++) for (let x = 0; x < 300; x++) raw.set(x < 150 ? [255, 0, 0] : [0, 0, 255], (y * 300 + x) * 3);
    const oriented = await sharp(raw, { raw: { width: 300, height: 200, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const meta = await sharp(oriented).metadata();
    expect(meta.orientation).toBe(6);
    // The same pixels rotated explicitly and stored without orientation (lossless PNG).
    const upright = await sharp(oriented).rotate(90).png().toBuffer();
    const a = await preprocessToRgb(oriented);
    const b = await preprocessToRgb(upright);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // Upright, the red half is on top: first row red, last row blue.
    expect(a[0]).toBeGreaterThan(200);
    expect(a[a.length - 1]).toBeGreaterThan(200);
  });

  it('rejects empty, oversized, unsupported and undecodable images with InvalidInput', async () => {
    await expectInvalid(preprocessImage(new Uint8Array(0)), /empty/);
    await expectInvalid(preprocessImage(new Uint8Array(MAX_IMAGE_BYTES + 1)), /too large.*10 MB/);
    await expectInvalid(preprocessImage(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /could not be decoded/);
    await expectInvalid(preprocessImage(fixture(0).subarray(0, 2000)), /could not be decoded/);
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).gif().toBuffer();
    await expectInvalid(preprocessImage(gif), /unsupported image format 'gif'/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    await expectInvalid(preprocessImage(svg), /unsupported image format 'svg'/);
    // A JPEG header announcing 8000×6000 = 48 MP: refused from the header, before any pixel is decoded.
    await expectInvalid(preprocessImage(await jpegAnnouncing(8000, 6000)), /too large|pixel limit/);
  });
});

describe('preprocessBatch', () => {
  it('concatenates the single-image tensors in order', async () => {
    const [a, b] = [fixture(1), fixture(2)];
    const batch = await preprocessBatch([a, b]);
    expect(batch.length).toBe(2 * IMAGE_TENSOR_LENGTH);
    const bytes = (t: Float32Array): Buffer => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    expect(bytes(batch.subarray(0, IMAGE_TENSOR_LENGTH)).equals(bytes(await preprocessImage(a)))).toBe(true);
    expect(bytes(batch.subarray(IMAGE_TENSOR_LENGTH)).equals(bytes(await preprocessImage(b)))).toBe(true);
  });

  it('names the index of a bad image', async () => {
    const err = await preprocessBatch([fixture(0), new Uint8Array(0)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as InvalidInput).details).toEqual({ index: 1 });
    expect((err as Error).message).toMatch(/^image 1: /);
  });
});
