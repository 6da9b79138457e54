// A model spec whose weights are small (under 1 MB) but whose first activation is not: a 1×1 convolution with 20,000
// filters outputs 28×28×20,000 floats per digit. The model budget must refuse it before it allocates.
export const wideConvolutionSpec = {
  name: 'wide',
  inputShape: [28, 28, 1],
  normalization: { mean: 0, std: 1 },
  layers: [
    { type: 'conv2d', filters: 20000, kernelSize: 1, activation: 'relu' },
    { type: 'conv2d', filters: 1, kernelSize: 1 },
    { type: 'flatten' },
    { type: 'dense', units: 10 },
  ],
};
