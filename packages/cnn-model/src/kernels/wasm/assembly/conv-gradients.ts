// Convolution gradients where tfjs-backend-wasm's stock formulations leave XNNPACK a poor shape. Images are NHWC
// float32, already padded; one call handles one image. In NHWC one kernel row of a patch is kernelW · channels
// consecutive floats, so a patch is kernelH runs of memory.

/**
 * col2im: adds each row of `matrix` (one output pixel's patch gradient, [kernelH · kernelW · channels]) into `image` at
 * that pixel's patch; overlapping patches add up. With it a layer's input gradient is one plain matrix product dy · Wᵀ
 * (XNNPACK's fastest shape) and this scatter, instead of a convolution through a border of zeros. `channels` must be
 * a multiple of 4; `image` must start zeroed.
 */
export function addPatchRows(
  image: usize,
  matrix: usize,
  outH: i32,
  outW: i32,
  width: i32,
  channels: i32,
  kernelH: i32,
  kernelW: i32,
  strideH: i32,
  strideW: i32,
): void {
  const pixelBytes = (<usize>channels) << 2;
  const rowBytes = <usize>width * pixelBytes;
  const runBytes = <usize>kernelW * pixelBytes;
  let row = matrix;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      const patch = image + <usize>(oy * strideH) * rowBytes + <usize>(ox * strideW) * pixelBytes;
      for (let ky = 0; ky < kernelH; ky++) {
        const run = patch + <usize>ky * rowBytes;
        for (let j: usize = 0; j < runBytes; j += 16) {
          v128.store(run + j, f32x4.add(v128.load(run + j), v128.load(row + j)));
        }
        row += runBytes;
      }
    }
  }
}

/**
 * The filter and bias gradients of a convolution whose patch is short (at most 12 values: the first layer's 3 × 3 × 1),
 * for one image: dW[k, o] += Σ_pixels x[pixel + offset_k] · dz[pixel, o] and dB[o] += Σ dz[pixel, o], every accumulator
 * in a register, so dz is read once rather than copied into im2col patches. `outC` must be a multiple of 4; dW and dB
 * accumulate across calls.
 */
export function filterGradient(
  x: usize,
  dz: usize,
  dW: usize,
  dB: usize,
  outH: i32,
  outW: i32,
  width: i32,
  channels: i32,
  kernelH: i32,
  kernelW: i32,
  strideH: i32,
  strideW: i32,
  outC: i32,
): void {
  const pixelBytes = (<usize>channels) << 2;
  const rowBytes = <usize>width * pixelBytes;
  const outBytes = (<usize>outC) << 2;
  const n = kernelH * kernelW * channels;
  // The byte offset of each patch element from the patch's first element (the first one for elements past n).
  const o0 = n > 0 ? patchOffset(0, kernelW, channels, rowBytes) : 0;
  const o1 = n > 1 ? patchOffset(1, kernelW, channels, rowBytes) : 0;
  const o2 = n > 2 ? patchOffset(2, kernelW, channels, rowBytes) : 0;
  const o3 = n > 3 ? patchOffset(3, kernelW, channels, rowBytes) : 0;
  const o4 = n > 4 ? patchOffset(4, kernelW, channels, rowBytes) : 0;
  const o5 = n > 5 ? patchOffset(5, kernelW, channels, rowBytes) : 0;
  const o6 = n > 6 ? patchOffset(6, kernelW, channels, rowBytes) : 0;
  const o7 = n > 7 ? patchOffset(7, kernelW, channels, rowBytes) : 0;
  const o8 = n > 8 ? patchOffset(8, kernelW, channels, rowBytes) : 0;
  const o9 = n > 9 ? patchOffset(9, kernelW, channels, rowBytes) : 0;
  const o10 = n > 10 ? patchOffset(10, kernelW, channels, rowBytes) : 0;
  const o11 = n > 11 ? patchOffset(11, kernelW, channels, rowBytes) : 0;
  for (let v: usize = 0; v < outBytes; v += 16) {
    let bias = v128.load(dB + v);
    let s0 = n > 0 ? v128.load(dW + 0 * outBytes + v) : f32x4.splat(0);
    let s1 = n > 1 ? v128.load(dW + 1 * outBytes + v) : f32x4.splat(0);
    let s2 = n > 2 ? v128.load(dW + 2 * outBytes + v) : f32x4.splat(0);
    let s3 = n > 3 ? v128.load(dW + 3 * outBytes + v) : f32x4.splat(0);
    let s4 = n > 4 ? v128.load(dW + 4 * outBytes + v) : f32x4.splat(0);
    let s5 = n > 5 ? v128.load(dW + 5 * outBytes + v) : f32x4.splat(0);
    let s6 = n > 6 ? v128.load(dW + 6 * outBytes + v) : f32x4.splat(0);
    let s7 = n > 7 ? v128.load(dW + 7 * outBytes + v) : f32x4.splat(0);
    let s8 = n > 8 ? v128.load(dW + 8 * outBytes + v) : f32x4.splat(0);
    let s9 = n > 9 ? v128.load(dW + 9 * outBytes + v) : f32x4.splat(0);
    let s10 = n > 10 ? v128.load(dW + 10 * outBytes + v) : f32x4.splat(0);
    let s11 = n > 11 ? v128.load(dW + 11 * outBytes + v) : f32x4.splat(0);
    let gradient = dz + v;
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        const at = x + <usize>(oy * strideH) * rowBytes + <usize>(ox * strideW) * pixelBytes;
        const g = v128.load(gradient);
        bias = f32x4.add(bias, g);
        if (n > 0) s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(at + o0), g));
        if (n > 1) s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(at + o1), g));
        if (n > 2) s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(at + o2), g));
        if (n > 3) s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(at + o3), g));
        if (n > 4) s4 = f32x4.add(s4, f32x4.mul(v128.load32_splat(at + o4), g));
        if (n > 5) s5 = f32x4.add(s5, f32x4.mul(v128.load32_splat(at + o5), g));
        if (n > 6) s6 = f32x4.add(s6, f32x4.mul(v128.load32_splat(at + o6), g));
        if (n > 7) s7 = f32x4.add(s7, f32x4.mul(v128.load32_splat(at + o7), g));
        if (n > 8) s8 = f32x4.add(s8, f32x4.mul(v128.load32_splat(at + o8), g));
        if (n > 9) s9 = f32x4.add(s9, f32x4.mul(v128.load32_splat(at + o9), g));
        if (n > 10) s10 = f32x4.add(s10, f32x4.mul(v128.load32_splat(at + o10), g));
        if (n > 11) s11 = f32x4.add(s11, f32x4.mul(v128.load32_splat(at + o11), g));
        gradient += outBytes;
      }
    }
    v128.store(dB + v, bias);
    if (n > 0) v128.store(dW + 0 * outBytes + v, s0);
    if (n > 1) v128.store(dW + 1 * outBytes + v, s1);
    if (n > 2) v128.store(dW + 2 * outBytes + v, s2);
    if (n > 3) v128.store(dW + 3 * outBytes + v, s3);
    if (n > 4) v128.store(dW + 4 * outBytes + v, s4);
    if (n > 5) v128.store(dW + 5 * outBytes + v, s5);
    if (n > 6) v128.store(dW + 6 * outBytes + v, s6);
    if (n > 7) v128.store(dW + 7 * outBytes + v, s7);
    if (n > 8) v128.store(dW + 8 * outBytes + v, s8);
    if (n > 9) v128.store(dW + 9 * outBytes + v, s9);
    if (n > 10) v128.store(dW + 10 * outBytes + v, s10);
    if (n > 11) v128.store(dW + 11 * outBytes + v, s11);
  }
}

function patchOffset(k: i32, kernelW: i32, channels: i32, rowBytes: usize): usize {
  const perRow = kernelW * channels;
  return <usize>(k / perRow) * rowBytes + ((<usize>(k % perRow)) << 2);
}
