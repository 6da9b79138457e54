/**
 * Convolution as matrix products over image patches, in plain JavaScript on Float32Arrays. Instead of copying the
 * patches out (im2col), two index tables say where each patch starts (one per output pixel) and where each of its
 * elements sits relative to that start, so the products read the NHWC input in place. Every product is register
 * blocked 4 × 4 (16 accumulators in locals, JavaScript doubles) and its innermost reads are contiguous channels.
 * A dense layer is the 1 × 1 case on a 1 × 1 image.
 */

/** Where the patches of a convolution live in its (already padded) NHWC input. */
export type PatchGeometry = {
  /** Output pixels n · outH · outW: the rows of the patch matrix. */
  rows: number;
  /** Patch length kh · kw · inC: the columns of the patch matrix and the rows of the [depth, outC] filter. */
  depth: number;
  /** Start of each row's patch in the input; padded to a multiple of 4 by repeating the last row. */
  rowStarts: Int32Array;
  /** Offset of each patch element from its row start; padded to a multiple of 4 with zeros. */
  elementOffsets: Int32Array;
  /** The patch as runs of consecutive offsets (one per kernel row when channels are contiguous): starts, lengths. */
  runStarts: Int32Array;
  runLengths: Int32Array;
};

const roundUp4 = (value: number) => (value + 3) & ~3;

/** Geometry of a kh × kw convolution with strides over an [n, h, w, c] input that already includes its padding. */
export function convPatches(
  input: [number, number, number, number],
  kernel: [number, number],
  strides: [number, number],
): PatchGeometry {
  const [n, h, w, c] = input;
  const outH = Math.floor((h - kernel[0]) / strides[0]) + 1;
  const outW = Math.floor((w - kernel[1]) / strides[1]) + 1;
  const rows = n * outH * outW;
  const depth = kernel[0] * kernel[1] * c;
  const rowStarts = new Int32Array(roundUp4(rows));
  let row = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) rowStarts[row++] = ((b * h + y * strides[0]) * w + x * strides[1]) * c;
    }
  }
  rowStarts.fill(rowStarts[rows - 1] ?? 0, rows);
  const elementOffsets = new Int32Array(roundUp4(depth));
  let element = 0;
  for (let ky = 0; ky < kernel[0]; ky++) {
    for (let kx = 0; kx < kernel[1]; kx++) {
      for (let ch = 0; ch < c; ch++) elementOffsets[element++] = (ky * w + kx) * c + ch;
    }
  }
  const starts: number[] = [];
  const lengths: number[] = [];
  for (let e = 0; e < depth; e++) {
    const last = starts.length - 1;
    if (last >= 0 && elementOffsets[e] === starts[last]! + lengths[last]!) lengths[last]! += 1;
    else {
      starts.push(elementOffsets[e]!);
      lengths.push(1);
    }
  }
  return {
    rows,
    depth,
    rowStarts,
    elementOffsets,
    runStarts: Int32Array.from(starts),
    runLengths: Int32Array.from(lengths),
  };
}

/** A [rows, cols] matrix with its columns zero-padded to `stride` (and rows to `paddedRows`), or itself if it fits. */
function padMatrix(m: Float32Array, rows: number, cols: number, stride: number, paddedRows = rows): Float32Array {
  if (stride === cols && paddedRows === rows) return m;
  const out = new Float32Array(paddedRows * stride);
  for (let r = 0; r < rows; r++) out.set(m.subarray(r * cols, r * cols + cols), r * stride);
  return out;
}

/**
 * out[r, j] = act(Σ_e patch(r)[e] · filter[e, j] + bias[j]) for the [depth, cols] filter: a convolution's forward
 * pass.
 */
// biome-ignore format: the 4 × 4 register block reads best as a grid
export function patchTimesFilter(
  input: Float32Array,
  g: PatchGeometry,
  filter: Float32Array,
  cols: number,
  bias: Float32Array | null,
  relu: boolean,
  out: Float32Array,
): void {
  const { rows, depth, rowStarts, runStarts, runLengths } = g;
  const runCount = runStarts.length;
  const stride = roundUp4(cols);
  const b = padMatrix(filter, depth, cols, stride);
  const start = new Float64Array(stride);
  if (bias) start.set(bias);
  // max(v, floor) applies the ReLU (floor 0) or nothing (floor −∞) and keeps NaN visible either way.
  const floor = relu ? 0 : Number.NEGATIVE_INFINITY;
  const block = new Float64Array(16);
  for (let r = 0; r < rows; r += 4) {
    const p0 = rowStarts[r]!;
    const p1 = rowStarts[r + 1]!;
    const p2 = rowStarts[r + 2]!;
    const p3 = rowStarts[r + 3]!;
    for (let j = 0; j < stride; j += 4) {
      const s0 = start[j]!, s1 = start[j + 1]!, s2 = start[j + 2]!, s3 = start[j + 3]!;
      let c00 = s0, c01 = s1, c02 = s2, c03 = s3, c10 = s0, c11 = s1, c12 = s2, c13 = s3;
      let c20 = s0, c21 = s1, c22 = s2, c23 = s3, c30 = s0, c31 = s1, c32 = s2, c33 = s3;
      // Runs of consecutive offsets let the inner loop index the input directly (no offset-table load).
      for (let run = 0, k = j; run < runCount; run++) {
        const end = runStarts[run]! + runLengths[run]!;
        for (let o = runStarts[run]!; o < end; o++, k += stride) {
          const a0 = input[p0 + o]!;
          const a1 = input[p1 + o]!;
          const a2 = input[p2 + o]!;
          const a3 = input[p3 + o]!;
          const b0 = b[k]!;
          const b1 = b[k + 1]!;
          const b2 = b[k + 2]!;
          const b3 = b[k + 3]!;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
      }
      if (r + 4 <= rows && j + 4 <= cols) {
        let o = r * cols + j;
        out[o] = Math.max(c00, floor); out[o + 1] = Math.max(c01, floor);
        out[o + 2] = Math.max(c02, floor); out[o + 3] = Math.max(c03, floor);
        o += cols;
        out[o] = Math.max(c10, floor); out[o + 1] = Math.max(c11, floor);
        out[o + 2] = Math.max(c12, floor); out[o + 3] = Math.max(c13, floor);
        o += cols;
        out[o] = Math.max(c20, floor); out[o + 1] = Math.max(c21, floor);
        out[o + 2] = Math.max(c22, floor); out[o + 3] = Math.max(c23, floor);
        o += cols;
        out[o] = Math.max(c30, floor); out[o + 1] = Math.max(c31, floor);
        out[o + 2] = Math.max(c32, floor); out[o + 3] = Math.max(c33, floor);
        continue;
      }
      block[0] = c00; block[1] = c01; block[2] = c02; block[3] = c03;
      block[4] = c10; block[5] = c11; block[6] = c12; block[7] = c13;
      block[8] = c20; block[9] = c21; block[10] = c22; block[11] = c23;
      block[12] = c30; block[13] = c31; block[14] = c32; block[15] = c33;
      for (let i = 0; i < 4 && r + i < rows; i++) {
        for (let jj = 0; jj < 4 && j + jj < cols; jj++) {
          out[(r + i) * cols + j + jj] = Math.max(block[i * 4 + jj]!, floor);
        }
      }
    }
  }
}

/**
 * out[e, j] = Σ_r patch(r)[e] · grad[r, j]: a convolution's filter gradient from the [rows, cols] output gradient.
 * Rows are visited in chunks so the patches and gradient rows of a chunk stay in cache across all output blocks.
 */
// biome-ignore format: the 4 × 4 register block reads best as a grid
export function patchTransposedTimesGrad(
  input: Float32Array,
  g: PatchGeometry,
  grad: Float32Array,
  cols: number,
  out: Float32Array,
): void {
  const { rows, depth, rowStarts, elementOffsets } = g;
  const stride = roundUp4(cols);
  const d = padMatrix(grad, rows, cols, stride);
  const depth4 = roundUp4(depth);
  const acc = new Float64Array(depth4 * stride);
  const chunk = 128;
  for (let r0 = 0; r0 < rows; r0 += chunk) {
    const r1 = Math.min(rows, r0 + chunk);
    for (let e = 0; e < depth4; e += 4) {
      const o0 = elementOffsets[e]!;
      const o1 = elementOffsets[e + 1]!;
      const o2 = elementOffsets[e + 2]!;
      const o3 = elementOffsets[e + 3]!;
      for (let j = 0; j < stride; j += 4) {
        const t = e * stride + j;
        let c00 = acc[t]!, c01 = acc[t + 1]!, c02 = acc[t + 2]!, c03 = acc[t + 3]!;
        let c10 = acc[t + stride]!, c11 = acc[t + stride + 1]!, c12 = acc[t + stride + 2]!, c13 = acc[t + stride + 3]!;
        const t2 = t + 2 * stride;
        const t3 = t + 3 * stride;
        let c20 = acc[t2]!, c21 = acc[t2 + 1]!, c22 = acc[t2 + 2]!, c23 = acc[t2 + 3]!;
        let c30 = acc[t3]!, c31 = acc[t3 + 1]!, c32 = acc[t3 + 2]!, c33 = acc[t3 + 3]!;
        for (let r = r0, k = r0 * stride + j; r < r1; r++, k += stride) {
          const p = rowStarts[r]!;
          const a0 = input[p + o0]!;
          const a1 = input[p + o1]!;
          const a2 = input[p + o2]!;
          const a3 = input[p + o3]!;
          const b0 = d[k]!;
          const b1 = d[k + 1]!;
          const b2 = d[k + 2]!;
          const b3 = d[k + 3]!;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        acc[t] = c00; acc[t + 1] = c01; acc[t + 2] = c02; acc[t + 3] = c03;
        acc[t + stride] = c10; acc[t + stride + 1] = c11; acc[t + stride + 2] = c12; acc[t + stride + 3] = c13;
        acc[t2] = c20; acc[t2 + 1] = c21; acc[t2 + 2] = c22; acc[t2 + 3] = c23;
        acc[t3] = c30; acc[t3 + 1] = c31; acc[t3 + 2] = c32; acc[t3 + 3] = c33;
      }
    }
  }
  for (let e = 0; e < depth; e++) {
    for (let j = 0; j < cols; j++) out[e * cols + j] = acc[e * stride + j]!;
  }
}

/**
 * inputGrad[patch(r)[e]] += Σ_j grad[r, j] · filter[e, j]: a convolution's input gradient (the patch product's
 * transpose, scattered back over the overlapping patches). `inputGrad` must start zeroed.
 */
// biome-ignore format: the 4 × 4 register block reads best as a grid
export function gradTimesFilterScatter(
  grad: Float32Array,
  g: PatchGeometry,
  filter: Float32Array,
  cols: number,
  inputGrad: Float32Array,
): void {
  const { rows, depth, rowStarts, elementOffsets } = g;
  const stride = roundUp4(cols);
  const depth4 = roundUp4(depth);
  const d = padMatrix(grad, rows, cols, stride);
  // Zero rows past `depth` make the padded elements scatter zeros.
  const w = padMatrix(filter, depth, cols, stride, depth4);
  // Filter rows in chunks of ≈ 64 KB, so a large filter (a dense layer's) stays in cache across all row blocks.
  const chunk = Math.max(4, Math.floor(16384 / stride) & ~3);
  for (let e0 = 0; e0 < depth4; e0 += chunk) {
    const e1 = Math.min(depth4, e0 + chunk);
    for (let r = 0; r < rows; r += 4) {
      const d0 = r * stride;
      const d1 = Math.min(r + 1, rows - 1) * stride;
      const d2 = Math.min(r + 2, rows - 1) * stride;
      const d3 = Math.min(r + 3, rows - 1) * stride;
      const valid = Math.min(4, rows - r);
      const p0 = rowStarts[r]!;
      const p1 = rowStarts[r + 1]!;
      const p2 = rowStarts[r + 2]!;
      const p3 = rowStarts[r + 3]!;
      for (let e = e0; e < e1; e += 4) {
        const w0 = e * stride;
        const w1 = w0 + stride;
        const w2 = w1 + stride;
        const w3 = w2 + stride;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let j = 0; j < stride; j++) {
          const a0 = d[d0 + j]!;
          const a1 = d[d1 + j]!;
          const a2 = d[d2 + j]!;
          const a3 = d[d3 + j]!;
          const b0 = w[w0 + j]!;
          const b1 = w[w1 + j]!;
          const b2 = w[w2 + j]!;
          const b3 = w[w3 + j]!;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        const o0 = elementOffsets[e]!;
        const o1 = elementOffsets[e + 1]!;
        const o2 = elementOffsets[e + 2]!;
        const o3 = elementOffsets[e + 3]!;
        inputGrad[p0 + o0]! += c00; inputGrad[p0 + o1]! += c01; inputGrad[p0 + o2]! += c02; inputGrad[p0 + o3]! += c03;
        if (valid < 2) continue;
        inputGrad[p1 + o0]! += c10; inputGrad[p1 + o1]! += c11; inputGrad[p1 + o2]! += c12; inputGrad[p1 + o3]! += c13;
        if (valid < 3) continue;
        inputGrad[p2 + o0]! += c20; inputGrad[p2 + o1]! += c21; inputGrad[p2 + o2]! += c22; inputGrad[p2 + o3]! += c23;
        if (valid < 4) continue;
        inputGrad[p3 + o0]! += c30; inputGrad[p3 + o1]! += c31; inputGrad[p3 + o2]! += c32; inputGrad[p3 + o3]! += c33;
      }
    }
  }
}
