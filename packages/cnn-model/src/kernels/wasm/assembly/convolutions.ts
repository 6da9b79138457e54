// A convolution's three products — forward, filter gradient, input gradient — as register-blocked matrix products,
// the patch gather (im2col) folded into the loads: x is read in place, never copied into a patch matrix. All three are
// made of one micro-kernel, `tile` (tile.ts).
// Layouts (NHWC, float32): x [n, h, w, c], already padded; filter [kh, kw, c, oc]; y and dy [n, oh, ow, oc]; any
// stride. A patch is kh runs of kw · c consecutive floats of x, one image row apart; patch column
// k = ky · kw · c + (kx · c + ci).
import { tile } from './tile';

// The geometry of the convolution the next calls work on, set by `setConvolution`, and a walk over its output pixels,
// numbered across the batch row by row, image after image. `nextCorner` gives the byte offset in x (or dx) of the next
// pixel's patch corner: additions only, since a division per pixel would cost as much as the products of a small
// patch. Globals, not memory: the kernels write nothing but their outputs. They are read outside the inner loops.
let images = 0,
  kernelH = 0,
  kernelW = 0,
  oh = 0,
  ow = 0,
  run = 0,
  rowBytes: usize = 0,
  imageBytes: usize = 0,
  pixelStep: usize = 0,
  rowStep: usize = 0,
  ocBytes: usize = 0;
let walkX = 0,
  walkY = 0,
  corner: usize = 0;

/**
 * Sets the convolution the kernels below compute: x [n, h, w, c] (already padded), a kh × kw kernel with strides
 * sh × sw, oc output channels; the output is [n, oh, ow, oc] ('valid' over x).
 */
export function setConvolution(n: i32, h: i32, w: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, oc: i32): void {
  images = n;
  kernelH = kh;
  kernelW = kw;
  oh = (h - kh) / sh + 1;
  ow = (w - kw) / sw + 1;
  run = kw * c;
  rowBytes = (<usize>(w * c)) << 2;
  imageBytes = <usize>h * rowBytes;
  pixelStep = (<usize>(sw * c)) << 2;
  rowStep = <usize>sh * rowBytes;
  ocBytes = (<usize>oc) << 2;
}

function walkFrom(p: i32): void {
  const image = p / (oh * ow);
  const q = p - image * oh * ow;
  walkY = q / ow;
  walkX = q - walkY * ow;
  corner = <usize>image * imageBytes + <usize>walkY * rowStep + <usize>walkX * pixelStep;
}

function nextCorner(): usize {
  const at = corner;
  corner += pixelStep;
  if (++walkX === ow) {
    // To the next row's first patch, or past the rows no patch starts in, to the next image's.
    walkX = 0;
    corner += rowStep - <usize>ow * pixelStep;
    if (++walkY === oh) {
      walkY = 0;
      corner += imageBytes - <usize>oh * rowStep;
    }
  }
  return at;
}

/** The byte offset of patch column k from the patch corner. */
function patchOffset(k: i32): usize {
  const ky = k / run;
  return <usize>ky * rowBytes + ((<usize>(k - ky * run)) << 2);
}

// Pixels per block of the forward and input-gradient loops: a block's slice of x (or dx) and dy stays in the L1 and
// L2 caches while every column tile passes over it.
const chunkPixels = 128;

/** y = relu?(conv(x, filter) + bias), tiles of 2 output pixels × 16 output channels; needs oc % 16 = 0. `bias` 0: none. */
export function convForward(x: usize, filter: usize, bias: usize, y: usize, relu: bool): void {
  if (run === kernelW) {
    forwardOneChannel(x, filter, bias, y, relu);
    return;
  }
  const pixels = images * oh * ow;
  for (let p0 = 0; p0 < pixels; p0 += chunkPixels) {
    const p1 = min(p0 + chunkPixels, pixels);
    for (let co: usize = 0; co < ocBytes; co += 64) {
      walkFrom(p0);
      for (let p = p0; p < p1; p += 2) {
        const two = p + 1 < p1;
        const x0 = x + nextCorner();
        const x1 = two ? x + nextCorner() : x0;
        const y0 = y + <usize>p * ocBytes + co;
        const init = bias ? bias + co : 0;
        inline.always(
          tile(x0, x1 - x0, 4, run, kernelH, rowBytes, filter + co, ocBytes, init, y0, y0 + ocBytes, false, relu, two),
        );
      }
    }
  }
}

/**
 * The forward product of one input channel (a network's first layer), pixel pairs outermost so that each pair's x stays
 * in registers' reach across its channel blocks.
 */
function forwardOneChannel(x: usize, filter: usize, bias: usize, y: usize, relu: bool): void {
  const pixels = images * oh * ow;
  walkFrom(0);
  for (let p = 0; p < pixels; p += 2) {
    const two = p + 1 < pixels;
    const x0 = x + nextCorner();
    const delta = two ? x + nextCorner() - x0 : 0;
    const y0 = y + <usize>p * ocBytes;
    for (let co: usize = 0; co < ocBytes; co += 64) {
      const init = bias ? bias + co : 0,
        o = y0 + co;
      inline.always(
        tile(x0, delta, 4, kernelW, kernelH, rowBytes, filter + co, ocBytes, init, o, o + ocBytes, false, relu, two),
      );
    }
  }
}

/**
 * dx = Σ over output pixels of dy[p] · filterᵀ added at p's patch (col2im fused into the product). `filterRows` is the
 * filter as [oc, kh · kw · c] (transposed). Tiles of 2 pixels × 16 patch columns; needs kw · c % 16 = 0.
 */
export function convInputGradient(dy: usize, filterRows: usize, dx: usize): void {
  const pixels = images * oh * ow;
  const patchBytes = (<usize>(kernelH * run)) << 2;
  const oc = <i32>(ocBytes >> 2);
  memory.fill(dx, 0, <usize>images * imageBytes);
  for (let p0 = 0; p0 < pixels; p0 += chunkPixels) {
    const p1 = min(p0 + chunkPixels, pixels);
    for (let k = 0; k < kernelH * run; k += 16) {
      const offset = dx + patchOffset(k);
      const columns = filterRows + ((<usize>k) << 2);
      walkFrom(p0);
      for (let p = p0; p < p1; p += 2) {
        const two = p + 1 < p1;
        const o0 = offset + nextCorner();
        const o1 = two ? offset + nextCorner() : o0;
        const d0 = dy + <usize>p * ocBytes;
        inline.always(tile(d0, two ? ocBytes : 0, 4, oc, 1, 0, columns, patchBytes, 0, o0, o1, true, false, two));
      }
    }
  }
}

/**
 * dfilter = Σ over output pixels of patch(p)ᵀ · dy[p], tiles of 2 patch columns × 16 output channels, summed image by
 * image (an image's x and dy stay in cache across all tiles). Needs oc % 16 = 0.
 */
export function convFilterGradient(x: usize, dy: usize, dfilter: usize): void {
  const patch = kernelH * run;
  memory.fill(dfilter, 0, <usize>patch * ocBytes);
  for (let image = 0; image < images; image++) {
    const xImage = x + <usize>image * imageBytes;
    const dyImage = dy + <usize>(image * oh * ow) * ocBytes;
    for (let k = 0; k < patch; k += 2) {
      const two = k + 1 < patch;
      const a = xImage + patchOffset(k);
      const bDelta = two ? patchOffset(k + 1) - patchOffset(k) : 0;
      const row = dfilter + <usize>k * ocBytes;
      for (let co: usize = 0; co < ocBytes; co += 64) {
        const d = dyImage + co;
        inline.always(
          tile(a, bDelta, pixelStep, ow, oh, rowStep, d, ocBytes, 0, row + co, row + ocBytes + co, true, false, two),
        );
      }
    }
  }
}

/** dbias[o] = Σ over all output pixels of dy[p, o]. */
export function convBiasGradient(dy: usize, dbias: usize): void {
  memory.fill(dbias, 0, ocBytes);
  const end = dy + <usize>(images * oh * ow) * ocBytes;
  for (let d = dy; d < end; d += ocBytes) {
    for (let co: usize = 0; co < ocBytes; co += 16)
      v128.store(dbias + co, f32x4.add(v128.load(dbias + co), v128.load(d + co)));
  }
}
