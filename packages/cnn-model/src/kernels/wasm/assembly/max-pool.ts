// Non-overlapping 'valid' max pooling (windows of poolH × poolW, strides the same), NHWC, and its gradient. Each window's
// gradient goes to the elements equal to its maximum, shared equally between tied maxima: the result is deterministic
// and a valid subgradient. Channels go four at a time, then one at a time (lane 0) for the rest. Where x is a ReLU's
// output, the kernel gives the ReLU input's gradient in the same pass: a window whose maximum is 0 gets none.
// Maxima are taken with pmax, one instruction where max is a sequence that orders -0 below +0 and passes NaN on: the
// elements equal to the maximum are the same, since -0 and +0 compare equal.
import { read, stepFrom, write } from './vectors';

// The call's tensors and geometry, for `window`. Globals, not memory: the kernel writes nothing but dx.
let xAt: usize = 0,
  dyAt: usize = 0,
  dxAt: usize = 0,
  rowBytes: usize = 0,
  pixelBytes: usize = 0,
  poolRows = 0,
  poolColumns = 0,
  afterRelu = false;

/** y = each window's maximum, four channels at a time, then one (lane 0) for the rest. */
export function maxPool(
  x: usize,
  y: usize,
  images: i32,
  height: i32,
  width: i32,
  channels: i32,
  poolH: i32,
  poolW: i32,
): void {
  const pixel = (<usize>channels) << 2,
    row = <usize>width * pixel;
  for (let image = 0; image < images; image++) {
    for (let oi = 0; oi < height / poolH; oi++) {
      const rowAt = x + (<usize>image * <usize>height + <usize>(oi * poolH)) * row;
      if (poolH === 2 && poolW === 2 && (pixel & 15) === 0) {
        // The presets' pools in one flat loop, as in pooledRow below.
        for (let at = rowAt, end = rowAt + <usize>(width >> 1) * 2 * pixel; at < end; at += pixel) {
          for (const next = at + pixel; at < next; at += 16, y += 16) {
            const top = f32x4.pmax(v128.load(at), v128.load(at + pixel));
            v128.store(y, f32x4.pmax(top, f32x4.pmax(v128.load(at + row), v128.load(at + row + pixel))));
          }
        }
        continue;
      }
      for (let oj = 0; oj < width / poolW; oj++) {
        const first = rowAt + <usize>(oj * poolW) * pixel;
        for (let lane: usize = 0; lane < pixel; lane += stepFrom(lane, pixel)) {
          const whole = lane + 16 <= pixel;
          let max = read(first + lane, whole);
          for (let i = 0; i < poolH; i++) {
            const at = first + lane + <usize>i * row;
            for (let j = 0; j < poolW; j++) max = f32x4.pmax(max, read(at + <usize>j * pixel, whole));
          }
          write(y + lane, max, whole);
        }
        y += pixel;
      }
    }
  }
}

export function maxPoolGradient(
  x: usize,
  dy: usize,
  dx: usize,
  images: i32,
  height: i32,
  width: i32,
  channels: i32,
  poolH: i32,
  poolW: i32,
  relu: bool,
): void {
  xAt = x;
  dxAt = dx;
  poolRows = poolH;
  poolColumns = poolW;
  afterRelu = relu;
  pixelBytes = (<usize>channels) << 2;
  rowBytes = <usize>width * pixelBytes;
  const vectorBytes = pixelBytes & ~15;
  dyAt = dy; // advances one pooled pixel per window
  for (let image = 0; image < images; image++) {
    const imageAt = <usize>image * <usize>height * rowBytes;
    for (let oi = 0; oi < height / poolH; oi++) {
      if (poolH === 2 && poolW === 2 && vectorBytes === pixelBytes) {
        pooledRow(imageAt + <usize>(oi * 2) * rowBytes, width >> 1);
        continue;
      }
      for (let oj = 0; oj < width / poolW; oj++) {
        const first = imageAt + <usize>(oi * poolH) * rowBytes + <usize>(oj * poolW) * pixelBytes;
        let lane: usize = 0;
        for (; lane < vectorBytes; lane += 16) window(first + lane, lane, true);
        for (; lane < pixelBytes; lane += 4) window(first + lane, lane, false);
        dyAt += pixelBytes;
      }
    }
    // Rows and columns no window covers get no gradient.
    const coveredBytes = <usize>(width / poolW) * <usize>poolW * pixelBytes;
    for (let row = 0; row < height; row++) {
      const from = row < (height / poolH) * poolH ? coveredBytes : 0;
      memory.fill(dx + imageAt + <usize>row * rowBytes + from, 0, rowBytes - from);
    }
  }
}

/** One row of 2 × 2 windows whose channels fill whole vectors (the presets' pools), in one flat loop. */
function pooledRow(first: usize, windows: i32): void {
  const x = xAt + first,
    dx = dxAt + first,
    pixel = pixelBytes,
    row = rowBytes,
    relu = afterRelu;
  let dy = dyAt;
  for (let window = 0; window < windows; window++) {
    const end = <usize>window * 2 * pixel + pixel;
    for (let at = end - pixel; at < end; at += 16) {
      const a = v128.load(x + at),
        b = v128.load(x + at + pixel),
        c = v128.load(x + at + row),
        d = v128.load(x + at + row + pixel);
      const max = f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(c, d));
      const ma = f32x4.eq(a, max),
        mb = f32x4.eq(b, max),
        mc = f32x4.eq(c, max),
        md = f32x4.eq(d, max);
      // Each mask lane is -1 where it holds a maximum: minus their sum counts the window's maxima, 1 to 4. Over 1, 2
      // or 4 a product by the exact reciprocal (its exponent lowered by count / 2) is the quotient; a division costs
      // more, and only 3 needs one.
      const count = i32x4.neg(i32x4.add(i32x4.add(ma, mb), i32x4.add(mc, md)));
      let share = v128.load(dy);
      if (v128.any_true(i32x4.eq(count, i32x4.splat(3)))) share = f32x4.div(share, f32x4.convert_i32x4_s(count));
      else share = f32x4.mul(share, i32x4.sub(f32x4.splat(1), i32x4.shl(i32x4.shr_u(count, 1), 23)));
      if (relu) share = v128.and(share, f32x4.gt(max, f32x4.splat(0)));
      v128.store(dx + at, v128.and(ma, share));
      v128.store(dx + at + pixel, v128.and(mb, share));
      v128.store(dx + at + row, v128.and(mc, share));
      v128.store(dx + at + row + pixel, v128.and(md, share));
      dy += 16;
    }
  }
  dyAt = dy;
}

/**
 * The window whose first element is at byte `first` of x (and dx), four channels at once (`whole`) or one: one pass
 * finds the maximum, one counts the ties, one writes each maximum's share of dy (none after a ReLU's 0).
 */
function window(first: usize, lane: usize, whole: bool): void {
  const x = xAt + first,
    dx = dxAt + first;
  let max = read(x, whole);
  for (let i = 0; i < poolRows; i++) {
    for (let j = 0; j < poolColumns; j++)
      max = f32x4.pmax(max, read(x + <usize>i * rowBytes + <usize>j * pixelBytes, whole));
  }
  let ties = f32x4.splat(0);
  for (let i = 0; i < poolRows; i++) {
    for (let j = 0; j < poolColumns; j++) {
      const isMax = f32x4.eq(read(x + <usize>i * rowBytes + <usize>j * pixelBytes, whole), max);
      ties = f32x4.add(ties, v128.and(isMax, f32x4.splat(1)));
    }
  }
  let share = f32x4.div(read(dyAt + lane, whole), ties);
  if (afterRelu) share = v128.and(share, f32x4.gt(max, f32x4.splat(0)));
  for (let i = 0; i < poolRows; i++) {
    for (let j = 0; j < poolColumns; j++) {
      const at = <usize>i * rowBytes + <usize>j * pixelBytes;
      write(dx + at, v128.and(f32x4.eq(read(x + at, whole), max), share), whole);
    }
  }
}
