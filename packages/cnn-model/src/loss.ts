import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean softmax cross-entropy over the batch and its gradient in closed form, dL/dlogits = (softmax − onehot) / n,
 * plus the number of correct argmax predictions.
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D) {
  const [n, classes] = logits.shape;
  const intLabels = labels.dtype === 'int32' ? labels : tf.cast(labels, 'int32');
  const logProbabilities = tf.logSoftmax(logits);
  // oneHot's dtype argument is ignored by the wasm kernel (it writes int32), so cast explicitly.
  const target = tf.cast(tf.oneHot(intLabels, classes), 'float32');
  const loss = tf.div(tf.neg(tf.sum(tf.mul(target, logProbabilities))), n) as tf.Scalar;
  const dLogits = tf.div(tf.sub(tf.exp(logProbabilities), target), n) as tf.Tensor2D;
  const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), intLabels), 'float32')) as tf.Scalar;
  return { loss, correct, dLogits };
}
