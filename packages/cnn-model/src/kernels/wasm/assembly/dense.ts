// A dense layer's products: y = relu?(x · W + b), and its backward: dz (dy through the ReLU's mask), db, dW = xᵀ · dz
// and dx = dz · Wᵀ. Layouts (row-major float32): x and dx [n, k], W and dW [k, m], y, dy [n, m].
// The forward and dW are made of the library's micro-kernel (tile.ts), 16 columns a tile; dx of dot products along
// the rows of dz and W as they lie, so that W is never transposed. Where m is not a multiple of 16, W, the bias and
// the tiles' outputs go through copies `wide` floats a row, zero-filled, in the caller's scratch: no tile reads or
// writes past the end of a row. dz is always a scratch copy that wide.
import { tile } from './tile';
import { madd, read, stepFrom, write } from './vectors';

let rows = 0,
  inner = 0,
  columns = 0,
  wide = 0,
  innerBytes: usize = 0,
  columnBytes: usize = 0,
  wideBytes: usize = 0;

// Rows of W per block of the forward: a block's tiles of W stay in the L1 cache while every row pair of x passes.
const blockRows = 128;

/** Sets the dense product the kernels below compute: x [n, k], W [k, m]. */
export function setDense(n: i32, k: i32, m: i32): void {
  rows = n;
  inner = k;
  columns = m;
  wide = (m + 15) & ~15;
  innerBytes = (<usize>k) << 2;
  columnBytes = (<usize>m) << 2;
  wideBytes = (<usize>wide) << 2;
}

/** Copies `count` rows of m floats from `from` into rows `wide` floats apart at `to`, the rest zeros. */
function widen(from: usize, to: usize, count: i32): void {
  for (let r: usize = 0; r < <usize>count; r++) {
    memory.copy(to + r * wideBytes, from + r * columnBytes, columnBytes);
    memory.fill(to + r * wideBytes + columnBytes, 0, wideBytes - columnBytes);
  }
}

/** Copies `count` rows `wide` floats apart at `from` into rows of m floats at `to`. */
function narrow(from: usize, to: usize, count: i32): void {
  for (let r: usize = 0; r < <usize>count; r++) memory.copy(to + r * columnBytes, from + r * wideBytes, columnBytes);
}

/** y = relu?(x · W + bias), `bias` 0: none. Scratch: (k + 1 + n) · wide floats where m % 16 ≠ 0. */
export function denseForward(x: usize, w: usize, bias: usize, y: usize, relu: bool, scratch: usize): void {
  const padded = wide !== columns;
  const weights = padded ? scratch : w;
  const wideBias = bias && padded ? scratch + <usize>inner * wideBytes : bias;
  const out = padded ? scratch + <usize>(inner + 1) * wideBytes : y;
  if (padded) {
    widen(w, weights, inner);
    if (bias) widen(bias, wideBias, 1);
  }
  for (let k0 = 0; k0 < inner; k0 += blockRows) {
    const length = min(blockRows, inner - k0);
    const accumulate = k0 > 0;
    const reluHere = relu && k0 + length === inner;
    for (let co: usize = 0; co < wideBytes; co += 64) {
      const f = weights + <usize>k0 * wideBytes + co;
      const init = k0 === 0 && bias ? wideBias + co : 0;
      for (let i = 0; i < rows; i += 2) {
        const two = i + 1 < rows;
        const a = x + <usize>i * innerBytes + ((<usize>k0) << 2);
        const o = out + <usize>i * wideBytes + co;
        const b = two ? innerBytes : 0;
        inline.always(tile(a, b, 4, length, 1, 0, f, wideBytes, init, o, o + wideBytes, accumulate, reluHere, two));
      }
    }
  }
  if (padded) narrow(out, y, rows);
}

/**
 * dz = dy where y > 0 (`relu`, else dy) into the scratch, db = Σ rows of dz (`db` 0: none), dW = xᵀ · dz and, where
 * `dx` is not 0, dx = dz · Wᵀ. Scratch: (n + 2k) · wide floats where m % 16 ≠ 0, else n · m.
 */
export function denseGradient(
  x: usize,
  w: usize,
  dy: usize,
  y: usize,
  relu: bool,
  dw: usize,
  db: usize,
  dx: usize,
  scratch: usize,
): void {
  const padded = wide !== columns;
  const dz = scratch;
  if (db) memory.fill(db, 0, columnBytes);
  const zero = f32x4.splat(0);
  for (let i: usize = 0; i < <usize>rows; i++) {
    const from = dy + i * columnBytes,
      mask = y + i * columnBytes,
      to = dz + i * wideBytes;
    for (let j: usize = 0; j < columnBytes; j += stepFrom(j, columnBytes)) {
      const whole = j + 16 <= columnBytes;
      let g = read(from + j, whole);
      if (relu) g = v128.and(g, f32x4.gt(read(mask + j, whole), zero));
      write(to + j, g, whole);
      if (db) write(db + j, f32x4.add(read(db + j, whole), g), whole);
    }
    memory.fill(to + columnBytes, 0, wideBytes - columnBytes);
  }
  const dWide = padded ? dz + <usize>rows * wideBytes : dw;
  for (let kk = 0; kk < inner; kk += 2) {
    const two = kk + 1 < inner;
    const row = dWide + <usize>kk * wideBytes;
    const a = x + ((<usize>kk) << 2);
    for (let co: usize = 0; co < wideBytes; co += 64) {
      const o = row + co;
      inline.always(
        tile(a, two ? 4 : 0, innerBytes, rows, 1, 0, dz + co, wideBytes, 0, o, o + wideBytes, false, false, two),
      );
    }
  }
  if (padded) narrow(dWide, dw, inner);
  if (!dx) return;
  const weights = padded ? dWide + <usize>inner * wideBytes : w;
  if (padded) widen(w, weights, inner);
  for (let kk = 0; kk < inner; kk += 4) {
    const count = min(4, inner - kk);
    const w0 = weights + <usize>kk * wideBytes;
    // Rows past the last repeat it: their sums are computed and not stored.
    const w1 = w0 + (count > 1 ? wideBytes : 0),
      w2 = w0 + (count > 2 ? 2 * wideBytes : 0),
      w3 = w0 + (count > 3 ? 3 * wideBytes : 0);
    for (let i = 0; i < rows; i += 2) {
      const two = i + 1 < rows;
      const d = dz + <usize>i * wideBytes;
      const o = dx + <usize>i * innerBytes + ((<usize>kk) << 2);
      dots(d, two ? d + wideBytes : d, w0, w1, w2, w3, o, o + innerBytes, count, two);
    }
  }
}

/**
 * The 2 × 4 dot products of rows d0, d1 with rows w0 … w3 (`wide` floats each), stored as 4 consecutive floats at
 * out0 and out1 (the first `count` of them; out1 only with `two`). Eight accumulators, as in `tile`.
 */
function dots(
  d0: usize,
  d1: usize,
  w0: usize,
  w1: usize,
  w2: usize,
  w3: usize,
  out0: usize,
  out1: usize,
  count: i32,
  two: bool,
): void {
  let a0 = f32x4.splat(0),
    a1 = a0,
    a2 = a0,
    a3 = a0,
    b0 = a0,
    b1 = a0,
    b2 = a0,
    b3 = a0;
  for (let j: usize = 0; j < wideBytes; j += 16) {
    const s = v128.load(d0 + j),
      t = v128.load(d1 + j);
    const r0 = v128.load(w0 + j),
      r1 = v128.load(w1 + j),
      r2 = v128.load(w2 + j),
      r3 = v128.load(w3 + j);
    a0 = madd(s, r0, a0);
    a1 = madd(s, r1, a1);
    a2 = madd(s, r2, a2);
    a3 = madd(s, r3, a3);
    b0 = madd(t, r0, b0);
    b1 = madd(t, r1, b1);
    b2 = madd(t, r2, b2);
    b3 = madd(t, r3, b3);
  }
  store4(out0, sums(a0, a1, a2, a3), count);
  if (two) store4(out1, sums(b0, b1, b2, b3), count);
}

/** The lane sums of v0 … v3, as one vector. */
function sums(v0: v128, v1: v128, v2: v128, v3: v128): v128 {
  const p01 = f32x4.add(v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), v128.shuffle<f32>(v0, v1, 2, 6, 3, 7));
  const p23 = f32x4.add(v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), v128.shuffle<f32>(v2, v3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(p01, p23, 0, 1, 4, 5), v128.shuffle<f32>(p01, p23, 2, 3, 6, 7));
}

/** Stores the first `count` lanes of `v` at `at`. */
function store4(at: usize, v: v128, count: i32): void {
  if (count === 4) {
    v128.store(at, v);
    return;
  }
  store<f32>(at, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(at, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(at, f32x4.extract_lane(v, 2), 8);
}
