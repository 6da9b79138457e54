// Helpers every kernel family shares. A loop over n floats takes whole vectors of four while it can, then the last
// n % 4 one at a time as lane 0 of a vector: the tail goes through the same float32 operations as the body, so one
// formula per kernel serves both and every element gets the same bits.

/** The float at `at`, or the vector of four from `at` when `whole`. */
export function read(at: usize, whole: bool): v128 {
  return whole ? v128.load(at) : f32x4.splat(load<f32>(at));
}

/** Stores `value` at `at`: all four lanes when `whole`, else lane 0. */
export function write(at: usize, value: v128, whole: bool): void {
  if (whole) v128.store(at, value);
  else store<f32>(at, f32x4.extract_lane(value, 0));
}

/** The byte step from `offset` towards `end`: a vector while one fits, else one float. */
export function stepFrom(offset: usize, end: usize): usize {
  return offset + 16 <= end ? 16 : 4;
}

/**
 * a · b + c. With relaxed SIMD (the relaxed build) a fused multiply-add where the engine has one, so results may
 * differ in the last bit between engines; kernels that must match tfjs bit for bit use `f32x4.mul` and `f32x4.add`.
 */
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
