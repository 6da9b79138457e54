/** The names our kernels are registered under, beside tfjs's own kernels of each backend's table. */
export const kernelNames = {
  conv2d: 'MnistCnnConv2D',
  conv2dBackprop: 'MnistCnnConv2DBackprop',
  maxPool: 'MnistCnnMaxPool',
  maxPoolBackprop: 'MnistCnnMaxPoolBackprop',
  reluBackprop: 'MnistCnnReluBackprop',
  rotateFilter: 'MnistCnnRotateFilter',
  addPatches: 'MnistCnnAddPatches',
  shortPatchFilterGradient: 'MnistCnnShortPatchFilterGradient',
  optimizerUpdate: 'MnistCnnOptimizerUpdate',
} as const;

export type KernelName = (typeof kernelNames)[keyof typeof kernelNames];
