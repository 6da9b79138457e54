import type { Args, Product } from './products.js';

/**
 * The convolution family, for any strides: the forward product (bias and ReLU fused), and the filter, bias and input
 * gradients in one call. Register-blocked matrix products that read patches in place (wasm/assembly/convolutions.ts),
 * Winograd's for 3×3 stride-1 filters (winograd.ts there). They take x already padded (the layer pads it, and crops
 * the input gradient), and the channel counts of `convolutionTakes`.
 */

type Shape4 = [number, number, number, number];

/**
 * What each kernel needs of a convolution's filter [kh, kw, c, oc]: the products' tiles are 16 floats wide, along out
 * channels and (for the input gradient) along the patch's rows.
 */
export const convolutionTakes = {
  forward: (filter: readonly number[]) => filter[3]! % 16 === 0,
  gradient: (filter: readonly number[], inputGradient: boolean) =>
    filter[3]! % 16 === 0 && (!inputGradient || (filter[1]! * filter[2]!) % 16 === 0),
};

// Winograd tiles per chunk (wasm/assembly/winograd.ts): a chunk's transformed inputs and products stay in cache.
const winogradChunk = 32;

/**
 * Whether a product of filter [kh, kw, inC, outC] runs as Winograd's F(2×2, 3×3), which multiplies about half as much
 * as the direct product, and the floats of scratch the forward needs. Its transforms take 4 channels a vector and its
 * products 16 columns a tile: out channels, and in channels too for the input gradient. A first layer of 1 channel
 * stays direct (there the transforms would cost what the multiplications save).
 */
const winograd = ([kh, kw, inC, outC]: number[], [sh, sw]: number[], inputGradient = false) => {
  const takes =
    kh === 3 && kw === 3 && sh === 1 && sw === 1 && inC! % (inputGradient ? 16 : 4) === 0 && outC! % 16 === 0;
  return { takes, scratch: 16 * (inC! * outC! + winogradChunk * (inC! + outC!) + 32) + 64 };
};

/** [n, oh, ow] of a strided 'valid' convolution of x [n, h, w, c] with a kh × kw kernel. */
const outputOf = ([n, h, w]: Shape4, [kh, kw]: number[], [sh, sw]: number[]) =>
  [n, Math.floor((h - kh!) / sh!) + 1, Math.floor((w - kw!) / sw!) + 1] as const;

/** A kernel's input by name, with its shape, or a typed error naming what the kernel expected. */
function shapeOf(args: Args, name: string, expected: string): Shape4 {
  const info = args.inputs[name];
  if (info?.shape.length !== 4 || info.dtype !== 'float32') {
    throw new TypeError(
      `the convolution kernel expected ${name}: float32 ${expected}, got ${info?.dtype} [${info?.shape}]`,
    );
  }
  return info.shape as Shape4;
}

/** relu?(conv(x, filter) + bias): inputs {x, filter, bias?}, attrs {strides, relu}. */
function forward(args: Args): Product {
  const xShape = shapeOf(args, 'x', '[n, h, w, c]');
  const [n, h, w, c] = xShape;
  const [kh, kw, filterChannels, oc] = shapeOf(args, 'filter', '[kh, kw, c, oc]');
  const { strides, relu } = args.attrs as { strides: [number, number]; relu: boolean };
  if (filterChannels !== c || !convolutionTakes.forward([kh, kw, c, oc])) {
    throw new RangeError(`the convolution kernel expected a filter [${kh}, ${kw}, ${c}, a multiple of 16]`);
  }
  const { x, filter, bias } = args.inputs;
  const fast = winograd([kh, kw, c, oc], strides);
  return {
    inputs: [x, filter, bias],
    outputs: [[...outputOf(xShape, [kh, kw], strides), oc]],
    scratch: fast.takes ? fast.scratch : 0,
    run: (kernel, [xAt, filterAt, biasAt], [yAt], scratchAt) => {
      kernel('setConvolution')(n, h, w, c, kh, kw, ...strides, oc);
      if (!fast.takes) return kernel('convForward')(xAt!, filterAt!, biasAt!, yAt!, relu ? 1 : 0);
      kernel('setWinograd')(n, h, w, c, oc, winogradChunk);
      kernel('winogradFilter')(filterAt!, c, 4 * oc, 4 * oc, 4 * c * oc, scratchAt);
      kernel('winogradConvolution')(xAt!, biasAt!, relu ? 1 : 0, yAt!, scratchAt);
    },
  };
}

/**
 * The backward of conv(x, filter) + bias: inputs {x, dy, filterRows?} (x as the layer padded it; filterRows, the
 * filter as [oc, kh · kw · c], for the input gradient), attrs {kernel, strides} → [dFilter, dBias, dx of x's shape
 * (with filterRows)]. One call, so that Winograd's transforms each dy tile once for all three.
 */
function gradient(args: Args): Product {
  const { kernel, strides } = args.attrs as { kernel: [number, number]; strides: [number, number] };
  const xShape = shapeOf(args, 'x', '[n, h, w, c]');
  const [n, h, w, c] = xShape;
  const dyShape = shapeOf(args, 'dy', '[n, oh, ow, oc]');
  const expected = outputOf(xShape, kernel, strides);
  if (expected.some((size, axis) => size !== dyShape[axis])) {
    throw new RangeError(`the convolution kernel expected dy [${expected}, oc], got [${dyShape}]`);
  }
  const { dy, filterRows: rows } = args.inputs;
  const oc = dyShape[3];
  const filter = [...kernel, c, oc];
  const patch = kernel[0] * kernel[1] * c;
  if (!convolutionTakes.gradient(filter, !!rows) || (rows && (rows.shape[0] !== oc || rows.shape[1] !== patch))) {
    throw new RangeError(
      `the convolution gradient kernel expected a multiple of 16 output channels, and filterRows [${oc}, ${patch}] with kw · c a multiple of 16 or none, got ${oc} and [${rows?.shape}]`,
    );
  }
  const fast = winograd(filter, strides, !!rows);
  return {
    inputs: [args.inputs.x, dy, rows],
    outputs: [filter, [oc], ...(rows ? [[n, h, w, c]] : [])],
    // The forward's scratch and the filter gradient's sums.
    scratch: fast.takes ? fast.scratch + 16 * c * oc : 0,
    run: (compiled, [xAt, dyAt, rowsAt], [filterAt, biasAt, dxAt], scratchAt) => {
      compiled('setConvolution')(n, h, w, c, ...kernel, ...strides, oc);
      if (fast.takes) {
        compiled('setWinograd')(n, h, w, c, oc, winogradChunk);
        if (rows) compiled('winogradFilter')(rowsAt!, oc, 4 * c, 4 * patch, 4 * c, scratchAt);
        return compiled('winogradGradients')(xAt!, dyAt!, filterAt!, biasAt!, dxAt ?? 0, scratchAt);
      }
      compiled('convFilterGradient')(xAt!, dyAt!, filterAt!);
      compiled('convBiasGradient')(dyAt!, biasAt!);
      if (rows) compiled('convInputGradient')(dyAt!, rowsAt!, dxAt!);
    },
  };
}

export const convolution = { forward, gradient };
