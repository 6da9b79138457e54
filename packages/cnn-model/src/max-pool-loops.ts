/**
 * Non-overlapping max pooling on NHWC Float32Arrays: windows of ph × pw with the same strides, 'valid' (leftover
 * rows and columns are ignored). Each window is visited once per channel through a table of element offsets.
 */

type Shape4 = [number, number, number, number];

/** Offsets of a window's elements from its first element, in NHWC order. */
function windowOffsets(w: number, c: number, pool: [number, number]): Int32Array {
  const offsets = new Int32Array(pool[0] * pool[1]);
  for (let k = 0; k < offsets.length; k++) offsets[k] = (Math.floor(k / pool[1]) * w + (k % pool[1])) * c;
  return offsets;
}

/** y[n, i, j, c] = max over the window of x. */
export function maxPoolForward(x: Float32Array, shape: Shape4, pool: [number, number], y: Float32Array): void {
  const [n, h, w, c] = shape;
  const oh = Math.floor(h / pool[0]);
  const ow = Math.floor(w / pool[1]);
  const offsets = windowOffsets(w, c, pool);
  const size = offsets.length;
  let out = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, out += c) {
        const first = ((b * h + i * pool[0]) * w + j * pool[1]) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = first + ch;
          let max = x[at]!;
          for (let k = 1; k < size; k++) {
            const v = x[at + offsets[k]!]!;
            if (v > max) max = v;
          }
          y[out + ch] = max;
        }
      }
    }
  }
}

/**
 * dx for y = maxPool(x): each window's gradient goes to the elements equal to its maximum, shared equally between
 * tied maxima (a deterministic subgradient); uncovered edges get 0. `dx` must start zeroed.
 */
export function maxPoolBackward(
  x: Float32Array,
  dy: Float32Array,
  shape: Shape4,
  pool: [number, number],
  dx: Float32Array,
): void {
  const [n, h, w, c] = shape;
  const oh = Math.floor(h / pool[0]);
  const ow = Math.floor(w / pool[1]);
  const offsets = windowOffsets(w, c, pool);
  const size = offsets.length;
  let out = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, out += c) {
        const first = ((b * h + i * pool[0]) * w + j * pool[1]) * c;
        for (let ch = 0; ch < c; ch++) {
          const at = first + ch;
          let max = x[at]!;
          let ties = 1;
          for (let k = 1; k < size; k++) {
            const v = x[at + offsets[k]!]!;
            if (v > max) {
              max = v;
              ties = 1;
            } else if (v === max) ties++;
          }
          const share = dy[out + ch]! / ties;
          for (let k = 0; k < size; k++) {
            const index = at + offsets[k]!;
            dx[index] = x[index] === max ? share : 0;
          }
        }
      }
    }
  }
}
