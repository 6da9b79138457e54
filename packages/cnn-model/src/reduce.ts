import * as tf from '@tensorflow/tfjs-core';

/**
 * Sums every axis but the last, e.g. [n, h, w, c] → [c], as a ones-vector matMul: on wasm a reduction over leading
 * axes transposes first and is several times slower than the XNNPACK matrix product.
 */
export function sumToLastAxis(x: tf.Tensor): tf.Tensor1D {
  const channels = x.shape[x.shape.length - 1] ?? 1;
  const rows = x.size / channels;
  const summed = tf.matMul(tf.ones([1, rows]), tf.reshape(x, [rows, channels]) as tf.Tensor2D);
  return tf.reshape(summed, [channels]);
}

/** a·b for 2-D tensors with an optional transpose, done explicitly because wasm's transposed matMul is a slow path. */
export function matMulTransposed(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeA: boolean,
  transposeB: boolean,
): tf.Tensor2D {
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}
