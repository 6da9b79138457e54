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
