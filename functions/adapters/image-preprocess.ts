/**
 * Image → EfficientNet-B0 input tensor, with sharp (libvips).
 *
 * The recipe is TF EfficientNet's evaluation crop, the one the backbone was checked with
 * (models/README.md, ../shared/models/efficientnet-b0/README.md):
 *   decode (JPEG / PNG / WebP only) → EXIF auto-orient → flatten alpha on white →
 *   centred square crop of side round(0.875·min(w,h)) → cubic (Catmull-Rom) resize to 224×224 →
 *   sRGB → (x/255 − mean) / std per channel → CHW float32.
 * `fastShrinkOnLoad: false` keeps libvips from decoding JPEGs at 1/2, 1/4, 1/8 scale, so the
 * pixels match the Python pipeline in models/ (tested by test/unit/image-golden.test.ts).
 */
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { InvalidInput } from '../core/domain/errors.js';
import { MAX_IMAGE_BYTES } from '../core/domain/product-images.js';

/** Side of the square network input. */
export const IMAGE_SIZE = 224;
/** Values per preprocessed image: 3·224·224. */
export const IMAGE_TENSOR_LENGTH = 3 * IMAGE_SIZE * IMAGE_SIZE;
/** ImageNet channel means (RGB), applied after scaling pixels to [0,1]. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
/** ImageNet channel standard deviations (RGB). */
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
/** Centre-crop fraction: 224 / (224 + 32), as in TF EfficientNet's eval preprocessing. */
export const CROP_FRACTION = 0.875;
/** Largest accepted decoded image: 40 megapixels (also bounds decode memory to ~160 MB RGBA). */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** Formats accepted; others (SVG, GIF, TIFF, HEIF, …) are refused before decoding. */
export const ACCEPTED_FORMATS: readonly string[] = ['jpeg', 'png', 'webp'];

/** The pixel rectangle kept by the centre crop of an upright w×h image. */
export function centreCrop(width: number, height: number): { left: number; top: number; side: number } {
  const side = Math.max(1, Math.round(CROP_FRACTION * Math.min(width, height)));
  return { left: Math.floor((width - side) / 2), top: Math.floor((height - side) / 2), side };
}

/**
 * Decode, crop and resize one image to 224×224 RGB, returning interleaved HWC bytes.
 * Exposed for the golden test and tools that want the pixels rather than the tensor.
 * @throws InvalidInput for empty, oversized, unsupported or undecodable images.
 */
export async function preprocessToRgb(bytes: Uint8Array): Promise<Uint8Array> {
  if (!bytes || bytes.byteLength === 0) throw new InvalidInput('image is empty (0 bytes)');
  if (bytes.byteLength > MAX_IMAGE_BYTES) {
    throw new InvalidInput(`image is too large: ${bytes.byteLength} bytes > ${MAX_IMAGE_BYTES} bytes (10 MB)`);
  }
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const options: SharpOptions = { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS };
  let meta: Metadata;
  try {
    meta = await sharp(input, options).metadata();
  } catch (err) {
    throw new InvalidInput(`image could not be decoded: ${(err as Error).message}`, { cause: err });
  }
  if (!meta.format || !ACCEPTED_FORMATS.includes(meta.format)) {
    throw new InvalidInput(`unsupported image format '${meta.format ?? 'unknown'}': use JPEG, PNG or WebP`);
  }
  if (!meta.width || !meta.height) throw new InvalidInput('image has no dimensions');
  if (meta.width * meta.height > MAX_IMAGE_PIXELS) {
    throw new InvalidInput(
      `image is too large: ${meta.width}×${meta.height} = ${meta.width * meta.height} pixels > ${MAX_IMAGE_PIXELS} (40 megapixels)`,
    );
  }
  // EXIF orientations 5–8 swap width and height once auto-oriented.
  const swapped = (meta.orientation ?? 1) >= 5;
  const width = swapped ? meta.height : meta.width;
  const height = swapped ? meta.width : meta.height;
  const { left, top, side } = centreCrop(width, height);
  try {
    const { data, info } = await sharp(input, options)
      .rotate()
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .extract({ left, top, width: side, height: side })
      .resize(IMAGE_SIZE, IMAGE_SIZE, { kernel: 'cubic', fit: 'fill', fastShrinkOnLoad: false })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== IMAGE_SIZE || info.height !== IMAGE_SIZE || info.channels !== 3) {
      throw new Error(`unexpected decoded shape ${info.width}×${info.height}×${info.channels}`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (err) {
    if (err instanceof InvalidInput) throw err;
    throw new InvalidInput(`image could not be decoded: ${(err as Error).message}`, { cause: err });
  }
}

/** HWC RGB bytes (224·224·3) → normalised CHW float32, written into `out` at `offset`. */
export function rgbToTensor(rgb: Uint8Array, out = new Float32Array(IMAGE_TENSOR_LENGTH), offset = 0): Float32Array {
  const plane = IMAGE_SIZE * IMAGE_SIZE;
  for (let c = 0; c < 3; c++) {
    // Same arithmetic order as the Python pipeline: (x/255 − mean)/std in float64, then rounded to float32.
    const mean = IMAGENET_MEAN[c];
    const std = IMAGENET_STD[c];
    const base = offset + c * plane;
    for (let i = 0; i < plane; i++) out[base + i] = (rgb[i * 3 + c] / 255 - mean) / std;
  }
  return out;
}

/**
 * One image → the backbone's input: float32 CHW of length 3·224·224, ImageNet-normalised RGB.
 * @throws InvalidInput for empty, oversized (> 10 MB or > 40 MP), unsupported or undecodable images.
 */
export async function preprocessImage(bytes: Uint8Array): Promise<Float32Array> {
  return rgbToTensor(await preprocessToRgb(bytes));
}

/**
 * Several images → one contiguous NCHW batch `float32[N·3·224·224]`, ready for a `[N,3,224,224]` tensor.
 * Decoding runs concurrently on libuv's thread pool. The first bad image rejects the whole batch
 * with an InvalidInput whose `details` carries its index.
 */
export async function preprocessBatch(images: readonly Uint8Array[]): Promise<Float32Array> {
  const out = new Float32Array(images.length * IMAGE_TENSOR_LENGTH);
  await Promise.all(
    images.map(async (bytes, i) => {
      let rgb: Uint8Array;
      try {
        rgb = await preprocessToRgb(bytes);
      } catch (err) {
        if (err instanceof InvalidInput) {
          throw new InvalidInput(`image ${i}: ${err.message}`, { details: { index: i }, cause: err });
        }
        throw err;
      }
      rgbToTensor(rgb, out, i * IMAGE_TENSOR_LENGTH);
    }),
  );
  return out;
}
