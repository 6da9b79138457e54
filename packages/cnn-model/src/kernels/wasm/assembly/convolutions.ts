// Convolution products as register-blocked matrix products, the patch gather (im2col) folded into the loads: x is
// read in place, never copied into a patch matrix. Every product works in tiles of 2 rows × 16 columns, eight vector
// accumulators; that is as many as V8 keeps in registers beside the operands (x64 has 16 vector registers), and larger
// tiles measured slower because they spill.
// Layouts (NHWC, float32): x [n, h, w, c], already padded; filter [kh, kw, c, oc]; y and dy [n, oh, ow, oc]; stride 1.
// A patch is kh runs of kw · c consecutive floats of x, one image row apart; patch column k = ky · run + (kx · c + ci).
import { madd } from './vectors';

// Output pixels are numbered across the batch, row by row, image after image. `origin` is the byte offset in x (or dx)
// of pixel p's patch corner; `step` moves it to the next pixel, jumping the kw − 1 columns at the end of an image row
// and the kh − 1 rows at the end of an image.
function origin(p: i32, oh: i32, ow: i32, h: i32, w: i32, c: i32): usize {
  const image = p / (oh * ow);
  const q = p - image * oh * ow;
  const oy = q / ow;
  return (<usize>(((image * h + oy) * w + q - oy * ow) * c)) << 2;
}

/**
 * y = relu?(conv(x, filter) + bias), tiles of 2 output pixels × 16 output channels. Needs oc % 16 = 0 and at least 2
 * output pixels; `bias` 0 means none.
 */
export function convForward(
  x: usize,
  filter: usize,
  bias: usize,
  y: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  kh: i32,
  kw: i32,
  oc: i32,
  relu: bool,
): void {
  const oh = h - kh + 1,
    ow = w - kw + 1;
  const pixels = n * oh * ow;
  const runBytes = (<usize>(kw * c)) << 2;
  const rowBytes = (<usize>(w * c)) << 2;
  const filterRow = (<usize>oc) << 2;
  const zero = f32x4.splat(0);
  const pixelBytes = (<usize>c) << 2,
    rowEnd = <usize>(kw - 1) * pixelBytes,
    imageEnd = <usize>(kh - 1) * rowBytes;
  let ox = 0,
    oy = 0,
    corner: usize = 0;
  for (let p0 = 0; p0 < pixels; p0 += chunkPixels) {
    const p1 = min(p0 + chunkPixels, pixels);
    for (let co = 0; co < oc; co += 16) {
      const column = (<usize>co) << 2;
      for (let p = p0; p < p1; p += 2) {
        // An odd pixel count ends on a pair that overlaps the previous one: it only writes the same values again.
        const overlapping = p + 2 > pixels;
        if (overlapping) p = pixels - 2;
        // The pair's patch corners: origin() divides, so it runs once per block; steps are additions.
        if (p === p0 || overlapping) {
          ox = p % ow;
          oy = (p / ow) % oh;
          corner = origin(p, oh, ow, h, w, c);
        }
        const x0 = x + corner;
        corner += pixelBytes;
        if (++ox === ow) {
          ox = 0;
          oy++;
          corner += rowEnd;
          if (oy === oh) {
            oy = 0;
            corner += imageEnd;
          }
        }
        const x1 = x + corner;
        corner += pixelBytes;
        if (++ox === ow) {
          ox = 0;
          oy++;
          corner += rowEnd;
          if (oy === oh) {
            oy = 0;
            corner += imageEnd;
          }
        }
        let a0 = zero,
          a1 = zero,
          a2 = zero,
          a3 = zero;
        if (bias) {
          a0 = v128.load(bias + column);
          a1 = v128.load(bias + column, 16);
          a2 = v128.load(bias + column, 32);
          a3 = v128.load(bias + column, 48);
        }
        let b0 = a0,
          b1 = a1,
          b2 = a2,
          b3 = a3;
        let f = filter + column;
        for (let ky: usize = 0; ky < <usize>kh; ky++) {
          const end = ky * rowBytes + runBytes;
          for (let at = ky * rowBytes; at < end; at += 4) {
            const s = v128.load32_splat(x0 + at),
              t = v128.load32_splat(x1 + at);
            const f0 = v128.load(f),
              f1 = v128.load(f, 16),
              f2 = v128.load(f, 32),
              f3 = v128.load(f, 48);
            a0 = madd(s, f0, a0);
            a1 = madd(s, f1, a1);
            a2 = madd(s, f2, a2);
            a3 = madd(s, f3, a3);
            b0 = madd(t, f0, b0);
            b1 = madd(t, f1, b1);
            b2 = madd(t, f2, b2);
            b3 = madd(t, f3, b3);
            f += filterRow;
          }
        }
        if (relu) {
          a0 = f32x4.max(a0, zero);
          a1 = f32x4.max(a1, zero);
          a2 = f32x4.max(a2, zero);
          a3 = f32x4.max(a3, zero);
          b0 = f32x4.max(b0, zero);
          b1 = f32x4.max(b1, zero);
          b2 = f32x4.max(b2, zero);
          b3 = f32x4.max(b3, zero);
        }
        const y0 = y + <usize>p * filterRow + column,
          y1 = y0 + filterRow;
        v128.store(y0, a0);
        v128.store(y0, a1, 16);
        v128.store(y0, a2, 32);
        v128.store(y0, a3, 48);
        v128.store(y1, b0);
        v128.store(y1, b1, 16);
        v128.store(y1, b2, 32);
        v128.store(y1, b3, 48);
      }
    }
  }
}

// Pixels per block of the forward and input-gradient loops: a block's slice of x (or dx) and dy stays in the L1 and
// L2 caches while every column tile passes over it.
const chunkPixels = 128;

/**
 * dx = Σ over output pixels of dy[p] · filterᵀ added at p's patch (col2im fused into the product). `filterRows` is the
 * filter as [oc, kh · kw · c] (transposed). Tiles of 2 pixels × 16 patch columns; needs kw · c % 16 = 0.
 */
export function convInputGradient(
  dy: usize,
  filterRows: usize,
  dx: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  kh: i32,
  kw: i32,
  oc: i32,
): void {
  const oh = h - kh + 1,
    ow = w - kw + 1;
  const pixels = n * oh * ow;
  const run = kw * c;
  const patchBytes = (<usize>(kh * run)) << 2;
  const dyRow = (<usize>oc) << 2;
  const pixelBytes = (<usize>c) << 2,
    rowEnd = <usize>(kw - 1) * pixelBytes,
    imageEnd = <usize>(kh - 1) * w * pixelBytes;
  memory.fill(dx, 0, (<usize>(n * h * w * c)) << 2);
  for (let p0 = 0; p0 < pixels; p0 += chunkPixels) {
    const p1 = min(p0 + chunkPixels, pixels);
    for (let k = 0; k < kh * run; k += 16) {
      const ky = k / run;
      // Where patch column k lands in dx, from the patch corner.
      const offset = (<usize>(ky * w * c + k - ky * run)) << 2;
      const columns = filterRows + ((<usize>k) << 2);
      let p = p0;
      let ox = p % ow,
        oy = (p / ow) % oh,
        corner = origin(p, oh, ow, h, w, c) + offset;
      for (; p + 2 <= p1; p += 2) {
        const d0 = dy + <usize>p * dyRow,
          d1 = d0 + dyRow;
        const o0 = dx + corner;
        corner += pixelBytes;
        if (++ox === ow) {
          ox = 0;
          oy++;
          corner += rowEnd;
          if (oy === oh) {
            oy = 0;
            corner += imageEnd;
          }
        }
        const o1 = dx + corner;
        corner += pixelBytes;
        if (++ox === ow) {
          ox = 0;
          oy++;
          corner += rowEnd;
          if (oy === oh) {
            oy = 0;
            corner += imageEnd;
          }
        }
        let a0 = f32x4.splat(0),
          a1 = a0,
          a2 = a0,
          a3 = a0,
          b0 = a0,
          b1 = a0,
          b2 = a0,
          b3 = a0;
        let f = columns;
        for (let at: usize = 0; at < dyRow; at += 4) {
          const s = v128.load32_splat(d0 + at),
            t = v128.load32_splat(d1 + at);
          const f0 = v128.load(f),
            f1 = v128.load(f, 16),
            f2 = v128.load(f, 32),
            f3 = v128.load(f, 48);
          a0 = madd(s, f0, a0);
          a1 = madd(s, f1, a1);
          a2 = madd(s, f2, a2);
          a3 = madd(s, f3, a3);
          b0 = madd(t, f0, b0);
          b1 = madd(t, f1, b1);
          b2 = madd(t, f2, b2);
          b3 = madd(t, f3, b3);
          f += patchBytes;
        }
        addInto(o0, a0, a1, a2, a3);
        addInto(o1, b0, b1, b2, b3);
      }
      if (p < p1) {
        const d0 = dy + <usize>p * dyRow;
        let a0 = f32x4.splat(0),
          a1 = a0,
          a2 = a0,
          a3 = a0;
        let f = columns;
        for (let at: usize = 0; at < dyRow; at += 4) {
          const s = v128.load32_splat(d0 + at);
          a0 = madd(s, v128.load(f), a0);
          a1 = madd(s, v128.load(f, 16), a1);
          a2 = madd(s, v128.load(f, 32), a2);
          a3 = madd(s, v128.load(f, 48), a3);
          f += patchBytes;
        }
        addInto(dx + corner, a0, a1, a2, a3);
      }
    }
  }
}

function addInto(at: usize, a0: v128, a1: v128, a2: v128, a3: v128): void {
  v128.store(at, f32x4.add(v128.load(at), a0));
  v128.store(at, f32x4.add(v128.load(at, 16), a1), 16);
  v128.store(at, f32x4.add(v128.load(at, 32), a2), 32);
  v128.store(at, f32x4.add(v128.load(at, 48), a3), 48);
}

/**
 * dfilter = Σ over output pixels of patch(p)ᵀ · dy[p], tiles of 2 patch columns × 16 output channels, summed image by
 * image (an image's x and dy stay in cache across all tiles). Needs kw · c even and oc % 16 = 0.
 */
export function convFilterGradient(
  x: usize,
  dy: usize,
  dfilter: usize,
  n: i32,
  h: i32,
  w: i32,
  c: i32,
  kh: i32,
  kw: i32,
  oc: i32,
): void {
  const oh = h - kh + 1,
    ow = w - kw + 1;
  const run = kw * c;
  const dyRow = (<usize>oc) << 2;
  const pixelBytes = (<usize>c) << 2;
  const rowBytes = (<usize>(w * c)) << 2;
  memory.fill(dfilter, 0, (<usize>(kh * run * oc)) << 2);
  for (let image = 0; image < n; image++) {
    const xImage = x + <usize>(image * h) * rowBytes;
    const dyImage = dy + <usize>(image * oh * ow) * dyRow;
    for (let k = 0; k < kh * run; k += 2) {
      const ky = k / run;
      const corner = xImage + ((<usize>(ky * w * c + k - ky * run)) << 2);
      for (let co: usize = 0; co < dyRow; co += 64) {
        let a0 = f32x4.splat(0),
          a1 = a0,
          a2 = a0,
          a3 = a0,
          b0 = a0,
          b1 = a0,
          b2 = a0,
          b3 = a0;
        let d = dyImage + co;
        for (let oy = 0; oy < oh; oy++) {
          let at = corner + <usize>oy * rowBytes;
          const end = at + <usize>ow * pixelBytes;
          for (; at < end; at += pixelBytes) {
            const s = v128.load32_splat(at),
              t = v128.load32_splat(at, 4);
            const d0 = v128.load(d),
              d1 = v128.load(d, 16),
              d2 = v128.load(d, 32),
              d3 = v128.load(d, 48);
            a0 = madd(s, d0, a0);
            a1 = madd(s, d1, a1);
            a2 = madd(s, d2, a2);
            a3 = madd(s, d3, a3);
            b0 = madd(t, d0, b0);
            b1 = madd(t, d1, b1);
            b2 = madd(t, d2, b2);
            b3 = madd(t, d3, b3);
            d += dyRow;
          }
        }
        const row = dfilter + <usize>k * dyRow + co;
        addInto(row, a0, a1, a2, a3);
        addInto(row + dyRow, b0, b1, b2, b3);
      }
    }
  }
}

/** dbias[o] = Σ over all pixels of dy[p, o]; needs oc % 4 = 0. */
export function convBiasGradient(dy: usize, dbias: usize, pixels: i32, oc: i32): void {
  const dyRow = (<usize>oc) << 2;
  memory.fill(dbias, 0, dyRow);
  for (let p: usize = 0; p < <usize>pixels; p++) {
    const d = dy + p * dyRow;
    for (let co: usize = 0; co < dyRow; co += 16)
      v128.store(dbias + co, f32x4.add(v128.load(dbias + co), v128.load(d + co)));
  }
}
