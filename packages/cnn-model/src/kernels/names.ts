import * as tf from '@tensorflow/tfjs-core';

/** The names our kernels are registered under, beside tfjs's own kernels of each backend's table. */
export const kernelNames = {
  maxPool: 'MnistCnnMaxPool',
  maxPoolBackprop: 'MnistCnnMaxPoolBackprop',
  optimizerUpdate: 'MnistCnnOptimizerUpdate',
  convForward: 'MnistCnnConvForward',
  convGradient: 'MnistCnnConvGradient',
  denseForward: 'MnistCnnDenseForward',
  denseGradient: 'MnistCnnDenseGradient',
} as const;

export type KernelName = (typeof kernelNames)[keyof typeof kernelNames];

/** Runs the named kernel on the active backend. */
export type RunKernel = (inputs: tf.NamedTensorMap, attrs: object) => tf.Tensor | tf.Tensor[];

/**
 * `viaKernel` where the active backend's table has our kernel `name` (it gets a function that runs it), else `stock`,
 * the same math in tfjs ops. Layers call this for each computation a kernel may replace, and never ask which backend
 * runs.
 */
export function kernelOr<T>(name: KernelName, viaKernel: (run: RunKernel) => T, stock: () => T): T {
  if (!tf.getKernel(name, tf.getBackend())) return stock();
  return viaKernel((inputs, attrs) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor);
}
