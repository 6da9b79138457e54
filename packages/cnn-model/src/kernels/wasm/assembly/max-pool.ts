// The gradient of non-overlapping 'valid' max pooling (windows of poolH × poolW, strides the same), NHWC. Each window's
// gradient goes to the elements equal to its maximum, shared equally between tied maxima: the result is deterministic
// and a valid subgradient. Channels go four at a time, then one at a time (lane 0) for the rest.
import { read, write } from './vectors';

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
): void {
  const outH = height / poolH;
  const outW = width / poolW;
  const pixelBytes = (<usize>channels) << 2;
  const rowBytes = <usize>width * pixelBytes;
  const vectorBytes = pixelBytes & ~15;
  let out = dy;
  for (let image = 0; image < images; image++) {
    const imageAt = <usize>image * <usize>height * rowBytes;
    for (let oi = 0; oi < outH; oi++) {
      for (let oj = 0; oj < outW; oj++) {
        const window = imageAt + <usize>(oi * poolH) * rowBytes + <usize>(oj * poolW) * pixelBytes;
        let lane: usize = 0;
        if (poolH === 2 && poolW === 2) {
          for (; lane < vectorBytes; lane += 16) window2x2(x, out, dx, window + lane, lane, rowBytes, pixelBytes, true);
          for (; lane < pixelBytes; lane += 4) window2x2(x, out, dx, window + lane, lane, rowBytes, pixelBytes, false);
        } else {
          for (; lane < vectorBytes; lane += 16)
            windowAny(x, out, dx, window + lane, lane, rowBytes, pixelBytes, poolH, poolW, true);
          for (; lane < pixelBytes; lane += 4)
            windowAny(x, out, dx, window + lane, lane, rowBytes, pixelBytes, poolH, poolW, false);
        }
        out += pixelBytes;
      }
    }
  }
}

/** 1 where `isMax`, else 0. */
function count(isMax: v128): v128 {
  return v128.and(isMax, f32x4.splat(1));
}

/** One 2 × 2 window, unrolled: each input vector is loaded once. */
function window2x2(
  x: usize,
  dy: usize,
  dx: usize,
  first: usize,
  lane: usize,
  rowBytes: usize,
  pixelBytes: usize,
  whole: bool,
): void {
  const a = read(x + first, whole);
  const b = read(x + first + pixelBytes, whole);
  const c = read(x + first + rowBytes, whole);
  const d = read(x + first + rowBytes + pixelBytes, whole);
  const max = f32x4.max(f32x4.max(a, b), f32x4.max(c, d));
  const ma = f32x4.eq(a, max);
  const mb = f32x4.eq(b, max);
  const mc = f32x4.eq(c, max);
  const md = f32x4.eq(d, max);
  const ties = f32x4.add(f32x4.add(count(ma), count(mb)), f32x4.add(count(mc), count(md)));
  const share = f32x4.div(read(dy + lane, whole), ties);
  write(dx + first, v128.and(ma, share), whole);
  write(dx + first + pixelBytes, v128.and(mb, share), whole);
  write(dx + first + rowBytes, v128.and(mc, share), whole);
  write(dx + first + rowBytes + pixelBytes, v128.and(md, share), whole);
}

/** Any window: one pass finds the maximum, one counts the ties, one writes the shares. */
function windowAny(
  x: usize,
  dy: usize,
  dx: usize,
  first: usize,
  lane: usize,
  rowBytes: usize,
  pixelBytes: usize,
  poolH: i32,
  poolW: i32,
  whole: bool,
): void {
  let max = read(x + first, whole);
  for (let i = 0; i < poolH; i++) {
    for (let j = 0; j < poolW; j++)
      max = f32x4.max(max, read(x + first + <usize>i * rowBytes + <usize>j * pixelBytes, whole));
  }
  let ties = f32x4.splat(0);
  for (let i = 0; i < poolH; i++) {
    for (let j = 0; j < poolW; j++) {
      ties = f32x4.add(
        ties,
        count(f32x4.eq(read(x + first + <usize>i * rowBytes + <usize>j * pixelBytes, whole), max)),
      );
    }
  }
  const share = f32x4.div(read(dy + lane, whole), ties);
  for (let i = 0; i < poolH; i++) {
    for (let j = 0; j < poolW; j++) {
      const at = first + <usize>i * rowBytes + <usize>j * pixelBytes;
      write(dx + at, v128.and(f32x4.eq(read(x + at, whole), max), share), whole);
    }
  }
}
