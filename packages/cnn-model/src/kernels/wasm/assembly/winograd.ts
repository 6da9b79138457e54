// Winograd's F(2×2, 3×3) for 3×3 stride-1 convolutions: each 2×2 block of outputs (a tile) from the 4×4 block of
// inputs under it, with 16 multiplications per in/out channel pair instead of 36. Input blocks and filters are carried
// into a 16-point transform domain, where the convolution becomes 16 independent matrix products (at each point:
// tiles × in-channels times in-channels × out-channels) run by the library's micro-kernel; the output transform brings
// each tile's 16 sums back to its 2×2 outputs. The transforms are additions (and halvings, for the filter): cheap
// beside the multiplications they save.
// Layouts (NHWC, float32): input [n, inH, inW, inC]; output [n, inH − 2, inW − 2, outC] ('valid'), whose odd edges
// take tiles cut in half, their inputs past the edge read as zeros. Needs inC % 4 = 0 and outC % 16 = 0.
// Scratch (the caller's): U [16][inC][outC] | V [16][chunk][inC] | M [16][chunk][outC] | 16 vectors | (the gradients')
// sums [16][inC][outC], where V and M hold one chunk of tiles at a time, so that they stay in cache from one step to the
// next. V's and M's points lie one cache line further apart than their size: the transforms touch all 16 points at
// once, and at a power-of-two stride those would share one set of the L1 cache and evict each other (measured: the
// transforms took 1.4 times as long).
import { tile } from './tile';

let images = 0,
  inH = 0,
  inW = 0,
  outH = 0,
  outW = 0,
  tilesH = 0,
  tilesW = 0,
  chunk = 0,
  inBytes: usize = 0,
  outBytes: usize = 0,
  pointBytes: usize = 0,
  vAt: usize = 0,
  vStep: usize = 0,
  mAt: usize = 0,
  mStep: usize = 0,
  betweenAt: usize = 0;

/** Sets the convolution the Winograd kernels compute (see the layouts above); `chunkTiles` tiles per chunk, even. */
export function setWinograd(n: i32, h: i32, w: i32, c: i32, oc: i32, chunkTiles: i32): void {
  images = n;
  inH = h;
  inW = w;
  outH = h - 2;
  outW = w - 2;
  tilesH = (outH + 1) >> 1;
  tilesW = (outW + 1) >> 1;
  chunk = chunkTiles;
  inBytes = (<usize>c) << 2;
  outBytes = (<usize>oc) << 2;
  pointBytes = <usize>c * outBytes;
  vAt = 16 * pointBytes;
  vStep = <usize>chunk * inBytes + 64;
  mAt = vAt + 16 * vStep;
  mStep = <usize>chunk * outBytes + 64;
  betweenAt = mAt + 16 * mStep;
}

// The transforms along one line of 4 vectors take them as arguments, or read them `from` bytes apart (their first
// argument the first's address), and store their results `step` bytes apart from `at`.

/** Component r of G · (a, b, c), the filter transform along one line. */
function filterLine(a: f64, b: f64, c: f64, r: i32): f64 {
  if (r === 0) return a;
  if (r === 1) return (a + b + c) * 0.5;
  if (r === 2) return (a - b + c) * 0.5;
  return c;
}

/** Bᵀ · d, the input transform along one line: (d0 − d2, d1 + d2, d2 − d1, d1 − d3). */
function inputLine(d0: v128, d1: v128, d2: v128, d3: v128, at: usize, step: usize): void {
  v128.store(at, f32x4.sub(d0, d2));
  v128.store(at + step, f32x4.add(d1, d2));
  v128.store(at + 2 * step, f32x4.sub(d2, d1));
  v128.store(at + 3 * step, f32x4.sub(d1, d3));
}

/** Aᵀ · m, the output transform along a line: (m0 + m1 + m2, m1 − m2 − m3). */
function outputLine(m: usize, from: usize, at: usize, step: usize): void {
  const m0 = v128.load(m),
    m1 = v128.load(m + from),
    m2 = v128.load(m + 2 * from),
    m3 = v128.load(m + 3 * from);
  v128.store(at, f32x4.add(f32x4.add(m0, m1), m2));
  v128.store(at + step, f32x4.sub(f32x4.sub(m1, m2), m3));
}

/** Tap k (ky · 3 + kx) of a filter whose taps lie `step` bytes apart from g. */
function tap(g: usize, k: usize, step: usize): f64 {
  return <f64>load<f32>(g + k * step);
}

/**
 * U = G · g · Gᵀ for every in/out channel pair into the scratch, as `rows` rows of `rowBytes` (the pairs' layout in U):
 * pair (i, o)'s tap k is at filter + i · rowStep + o + k · tapStep. The forward's U is [inC][outC] from the filter
 * [3, 3, inC, outC]; the input gradient's is [outC][inC], from the filter's rows [outC, 3 · 3 · inC]. In float64, so
 * that each value of U rounds once: its error adds to every product's, and the gradient checks' tolerances are tight.
 * Scalar code: the filter is small beside the products.
 */
export function winogradFilter(
  filter: usize,
  rows: i32,
  rowBytes: usize,
  rowStep: usize,
  tapStep: usize,
  scratch: usize,
): void {
  for (let i = 0; i < rows; i++) {
    for (let o: usize = 0; o < rowBytes; o += 4) {
      const g = filter + <usize>i * rowStep + o;
      const u = scratch + <usize>i * rowBytes + o;
      for (let r = 0; r < 4; r++) {
        // Down the columns of taps, then along the row.
        const t0 = filterLine(tap(g, 0, tapStep), tap(g, 3, tapStep), tap(g, 6, tapStep), r),
          t1 = filterLine(tap(g, 1, tapStep), tap(g, 4, tapStep), tap(g, 7, tapStep), r),
          t2 = filterLine(tap(g, 2, tapStep), tap(g, 5, tapStep), tap(g, 8, tapStep), r);
        for (let s = 0; s < 4; s++) store<f32>(u + <usize>(r * 4 + s) * pointBytes, <f32>filterLine(t0, t1, t2, s));
      }
    }
  }
}

// Tile q's place in an image of h × w pixels of `bytes` bytes, numbered like the output's pixels: its image, the
// image row and column of its top-left pixel, and that pixel's address.
// Set by `locate`, read by `pixel`: the address arithmetic is done once a tile, not once a load.
let tileImage = 0,
  tileY = 0,
  tileX = 0,
  tileH = 0,
  tileW = 0,
  tileCorner: usize = 0,
  tileLine: usize = 0,
  tilePixel: usize = 0;
function locate(q: i32, base: usize, h: i32, w: i32, bytes: usize): void {
  tileImage = q / (tilesH * tilesW);
  const r = q - tileImage * tilesH * tilesW;
  const row = r / tilesW;
  tileY = row << 1;
  tileX = (r - row * tilesW) << 1;
  tileH = h;
  tileW = w;
  tileLine = <usize>w * bytes;
  tilePixel = bytes;
  tileCorner = base + <usize>((tileImage * h + tileY) * w + tileX) * bytes;
}

/** The located tile's pixel (r, s): its 4 channels from byte `ch`, or zeros outside the image. */
function pixel(r: i32, s: i32, ch: usize): v128 {
  if (tileY + r >= tileH || tileX + s >= tileW) return f32x4.splat(0);
  return v128.load(tileCorner + <usize>r * tileLine + <usize>s * tilePixel + ch);
}

/** V = Bᵀ · d · B for tiles first … first + count − 1 into the chunk's V, point by point. */
function transformInputs(input: usize, first: i32, count: i32, scratch: usize): void {
  const between = scratch + betweenAt;
  for (let t = 0; t < count; t++) {
    locate(first + t, input, inH, inW, inBytes);
    for (let ch: usize = 0; ch < inBytes; ch += 16) {
      // Down each column of the 4×4 block into the between, then along its rows into the 16 points.
      for (let s = 0; s < 4; s++) {
        inputLine(pixel(0, s, ch), pixel(1, s, ch), pixel(2, s, ch), pixel(3, s, ch), between + <usize>s * 16, 64);
      }
      const v = scratch + vAt + <usize>t * inBytes + ch;
      for (let r: usize = 0; r < 4; r++) {
        const row = between + r * 64;
        inputLine(v128.load(row), v128.load(row, 16), v128.load(row, 32), v128.load(row, 48), v + r * 4 * vStep, vStep);
      }
    }
  }
}

/**
 * At each of the 16 points, rows of `cBytes` at c = rows of `aBytes` at a · U (points `aStep` and `cStep` bytes
 * apart), two tiles × 16 columns per micro-kernel call: the forward's M = V · U, the input gradient's E = D · U.
 */
function multiply(
  a: usize,
  aStep: usize,
  aBytes: usize,
  c: usize,
  cStep: usize,
  cBytes: usize,
  count: i32,
  scratch: usize,
): void {
  for (let point: usize = 0; point < 16; point++) {
    const u = scratch + point * pointBytes;
    for (let o: usize = 0; o < cBytes; o += 64) {
      for (let t = 0; t < count; t += 2) {
        const two = t + 1 < count;
        const from = a + point * aStep + <usize>t * aBytes,
          to = c + point * cStep + <usize>t * cBytes + o;
        inline.always(
          tile(from, two ? aBytes : 0, 4, <i32>aBytes >> 2, 1, 0, u + o, cBytes, 0, to, to + cBytes, false, false, two),
        );
      }
    }
  }
}

/** y = relu?(Aᵀ · M · A + bias) for the chunk's tiles, cut at the output's last row and column. `bias` 0: none. */
function transformOutputs(first: i32, count: i32, bias: usize, relu: bool, out: usize, scratch: usize): void {
  const between = scratch + betweenAt;
  for (let t = 0; t < count; t++) {
    locate(first + t, out, outH, outW, outBytes);
    for (let ch: usize = 0; ch < outBytes; ch += 16) {
      // Down each column of the 16 points into 2 × 4 vectors, then along those rows into the 2×2 outputs.
      const m = scratch + mAt + <usize>t * outBytes + ch;
      for (let s: usize = 0; s < 4; s++) outputLine(m + s * mStep, 4 * mStep, between + s * 16, 64);
      for (let r: usize = 0; r < 2; r++) outputLine(between + r * 64, 16, between + 128 + r * 32, 16);
      const shift = bias ? v128.load(bias + ch) : f32x4.splat(0);
      for (let r = 0; r < 2 && tileY + r < outH; r++) {
        for (let s = 0; s < 2 && tileX + s < outW; s++) {
          let value = f32x4.add(v128.load(between + 128 + <usize>(r * 2 + s) * 16), shift);
          if (relu) value = f32x4.pmax(value, f32x4.splat(0));
          v128.store(tileCorner + <usize>r * tileLine + <usize>s * outBytes + ch, value);
        }
      }
    }
  }
}

/** out = relu?(conv(input, the filter `winogradFilter` transformed) + bias); `bias` 0: none. */
export function winogradConvolution(input: usize, bias: usize, relu: bool, out: usize, scratch: usize): void {
  const tiles = images * tilesH * tilesW;
  for (let first = 0; first < tiles; first += chunk) {
    const count = min(chunk, tiles - first);
    transformInputs(input, first, count, scratch);
    multiply(scratch + vAt, vStep, inBytes, scratch + mAt, mStep, outBytes, count, scratch);
    transformOutputs(first, count, bias, relu, out, scratch);
  }
}

// The gradients are the forward's transposed, and share one transform of each dy tile, D = A · dy · Aᵀ:
// - the filter gradient dW = Gᵀ · (Σ over tiles of Vᵀ · D at each point) · G;
// - the bias gradient, Σ over tiles of D's point 5 (the sum of the tile's 4 pixels);
// - the input gradient, each tile's block B · (D · U) · Bᵀ, 4×4 pixels added where the neighbouring tiles' blocks
//   overlap (2 rows and columns a side), U the transformed filter rows. It multiplies as the filter gradient does,
//   about half as much as the direct product, where the forward's gather over dy padded by 2 would multiply nearly as
//   much as it (that padding is mostly zeros).
// Scratch: U as the forward's, V, D where M was (E = D · U then takes V's place), and the sums after the between.

/** A · (g0, g1), the output gradient's transform along one line: (g0, g0 + g1, g0 − g1, −g1). */
function gradientLine(g0: v128, g1: v128, at: usize, step: usize): void {
  v128.store(at, g0);
  v128.store(at + step, f32x4.add(g0, g1));
  v128.store(at + 2 * step, f32x4.sub(g0, g1));
  v128.store(at + 3 * step, f32x4.neg(g1));
}

/** Gᵀ · m, the filter gradient's transform along a line. */
function filterGradientLine(m: usize, from: usize, at: usize, step: usize): void {
  const m0 = v128.load(m),
    m1 = v128.load(m + from),
    m2 = v128.load(m + 2 * from),
    m3 = v128.load(m + 3 * from);
  const half = f32x4.splat(0.5);
  const sum = f32x4.mul(f32x4.add(m1, m2), half);
  v128.store(at, f32x4.add(m0, sum));
  v128.store(at + step, f32x4.mul(f32x4.sub(m1, m2), half));
  v128.store(at + 2 * step, f32x4.add(sum, m3));
}

/** D for the 2×2 output-gradient blocks of tiles first … first + count − 1 into M's place; adds point 5 to dbias. */
function transformGradients(dy: usize, first: i32, count: i32, dbias: usize, scratch: usize): void {
  const between = scratch + betweenAt;
  for (let t = 0; t < count; t++) {
    locate(first + t, dy, outH, outW, outBytes);
    for (let ch: usize = 0; ch < outBytes; ch += 16) {
      for (let s = 0; s < 2; s++) gradientLine(pixel(0, s, ch), pixel(1, s, ch), between + <usize>s * 16, 32);
      const d = scratch + mAt + <usize>t * outBytes + ch;
      for (let r: usize = 0; r < 4; r++) {
        gradientLine(v128.load(between + r * 32), v128.load(between + r * 32, 16), d + r * 4 * mStep, mStep);
      }
      v128.store(dbias + ch, f32x4.add(v128.load(dbias + ch), v128.load(d + 5 * mStep)));
    }
  }
}

/** B · e, the input gradient's transform along a line: (e0, e1 − e2 + e3, e1 + e2 − e0, −e3). `at` may be `e`. */
function scatterLine(e: usize, from: usize, at: usize, step: usize): void {
  const e0 = v128.load(e),
    e1 = v128.load(e + from),
    e2 = v128.load(e + 2 * from),
    e3 = v128.load(e + 3 * from);
  v128.store(at, e0);
  v128.store(at + step, f32x4.add(f32x4.sub(e1, e2), e3));
  v128.store(at + 2 * step, f32x4.sub(f32x4.add(e1, e2), e0));
  v128.store(at + 3 * step, f32x4.neg(e3));
}

/** Adds B · E · Bᵀ of the chunk's tiles into dx, the located tile's pixels that lie inside the image. */
function scatterInputs(first: i32, count: i32, dx: usize, scratch: usize): void {
  const between = scratch + betweenAt;
  for (let t = 0; t < count; t++) {
    locate(first + t, dx, inH, inW, inBytes);
    for (let ch: usize = 0; ch < inBytes; ch += 16) {
      const e = scratch + vAt + <usize>t * inBytes + ch;
      for (let s: usize = 0; s < 4; s++) scatterLine(e + s * vStep, 4 * vStep, between + s * 16, 64);
      for (let r = 0; r < 4; r++) {
        const row = between + <usize>r * 64;
        scatterLine(row, 16, row, 16);
        for (let s = 0; s < 4; s++) {
          if (tileY + r >= inH || tileX + s >= inW) continue;
          const at = tileCorner + <usize>r * tileLine + <usize>s * inBytes + ch;
          v128.store(at, f32x4.add(v128.load(at), v128.load(row + <usize>s * 16)));
        }
      }
    }
  }
}

/**
 * dfilter [3, 3, inC, outC] and dbias [outC] of conv for `input` and its output gradient `dy`, and with dx ≠ 0 the input
 * gradient dx [n, inH, inW, inC] for the filter rows `winogradFilter` took.
 */
export function winogradGradients(
  input: usize,
  dy: usize,
  dfilter: usize,
  dbias: usize,
  dx: usize,
  scratch: usize,
): void {
  const sumsAt = scratch + betweenAt + 256;
  memory.fill(sumsAt, 0, 16 * pointBytes);
  memory.fill(dbias, 0, outBytes);
  if (dx) memory.fill(dx, 0, <usize>images * inH * inW * inBytes);
  const tiles = images * tilesH * tilesW;
  for (let first = 0; first < tiles; first += chunk) {
    const count = min(chunk, tiles - first);
    transformInputs(input, first, count, scratch);
    transformGradients(dy, first, count, dbias, scratch);
    // At each point, sums [inC][outC] += Vᵀ · D: two in channels × 16 out channels per micro-kernel call.
    for (let point: usize = 0; point < 16; point++) {
      const v = scratch + vAt + point * vStep,
        d = scratch + mAt + point * mStep,
        sums = sumsAt + point * pointBytes;
      for (let i: usize = 0; i < inBytes; i += 8) {
        for (let o: usize = 0; o < outBytes; o += 64) {
          const out = sums + (i >> 2) * outBytes + o;
          inline.always(
            tile(v + i, 4, inBytes, count, 1, 0, d + o, outBytes, 0, out, out + outBytes, true, false, true),
          );
        }
      }
    }
    if (!dx) continue;
    multiply(scratch + mAt, mStep, outBytes, scratch + vAt, vStep, inBytes, count, scratch);
    scatterInputs(first, count, dx, scratch);
  }
  const between = scratch + betweenAt;
  for (let at: usize = 0; at < pointBytes; at += 16) {
    for (let s: usize = 0; s < 4; s++)
      filterGradientLine(sumsAt + at + s * pointBytes, 4 * pointBytes, between + s * 16, 64);
    for (let r: usize = 0; r < 3; r++)
      filterGradientLine(between + r * 64, 16, dfilter + at + r * 3 * pointBytes, pointBytes);
  }
}
