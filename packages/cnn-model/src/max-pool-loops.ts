/**
 * Non-overlapping max pooling on NHWC Float32Arrays: windows of ph × pw with the same strides, 'valid' (leftover
 * rows and columns are ignored), channels innermost so every pass is contiguous.
 */

/** y[n, i, j, c] = max over the window of x. */
export function maxPoolForward(
  x: Float32Array,
  shape: [number, number, number, number],
  pool: [number, number],
  y: Float32Array,
): void {
  const [n, h, w, c] = shape;
  const [ph, pw] = pool;
  const oh = Math.floor(h / ph);
  const ow = Math.floor(w / pw);
  let out = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, out += c) {
        const first = ((b * h + i * ph) * w + j * pw) * c;
        y.set(x.subarray(first, first + c), out);
        for (let dy = 0; dy < ph; dy++) {
          for (let dx = 0; dx < pw; dx++) {
            const start = first + (dy * w + dx) * c;
            for (let ch = 0; ch < c; ch++) {
              const v = x[start + ch]!;
              if (v > y[out + ch]!) y[out + ch] = v;
            }
          }
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
  shape: [number, number, number, number],
  pool: [number, number],
  dx: Float32Array,
): void {
  const [n, h, w, c] = shape;
  const [ph, pw] = pool;
  const oh = Math.floor(h / ph);
  const ow = Math.floor(w / pw);
  const max = new Float32Array(c);
  const ties = new Float32Array(c);
  let out = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, out += c) {
        const first = ((b * h + i * ph) * w + j * pw) * c;
        max.set(x.subarray(first, first + c));
        ties.fill(0);
        for (let k = 0; k < ph * pw; k++) {
          const start = first + (Math.floor(k / pw) * w + (k % pw)) * c;
          for (let ch = 0; ch < c; ch++) {
            const v = x[start + ch]!;
            if (v > max[ch]!) {
              max[ch] = v;
              ties[ch] = 1;
            } else if (v === max[ch]) ties[ch]! += 1;
          }
        }
        for (let k = 0; k < ph * pw; k++) {
          const start = first + (Math.floor(k / pw) * w + (k % pw)) * c;
          for (let ch = 0; ch < c; ch++) {
            if (x[start + ch] === max[ch]) dx[start + ch] = dy[out + ch]! / ties[ch]!;
          }
        }
      }
    }
  }
}
