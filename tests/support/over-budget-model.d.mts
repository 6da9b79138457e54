/** A spec with small weights whose first layer (conv2d_1, 20,000 1×1 filters) outputs 28×28×20,000 floats a digit. */
export const wideConvolutionSpec: {
  name: string;
  inputShape: [number, number, number];
  normalization: { mean: number; std: number };
  layers: (
    | { type: 'conv2d'; filters: number; kernelSize: number; activation?: 'relu' }
    | { type: 'flatten' }
    | { type: 'dense'; units: number }
  )[];
};
