import { type Args, onCpu, onWasm, type Product } from './products.js';

/**
 * The convolution family: the forward product (bias and ReLU fused), the filter gradient (with the bias gradient) and
 * the input gradient of a convolution with any strides, each one register-blocked matrix product that reads patches
 * in place (wasm/assembly/convolutions.ts); all three run as Winograd's for 3×3 stride-1 filters (winograd.ts there).
 * They take x already padded (the layer pads it, and crops the input gradient), and the channel counts of
 * `convolutionTakes`. The same compiled products run on both backends: in place on tfjs-backend-wasm's heap, over
 * copies on tfjs-backend-cpu.
 */

type Shape4 = [number, number, number, number];
type Geometry = { kernel: [number, number]; strides: [number, number] };

/** What each kernel needs of a convolution's filter [kh, kw, c, oc]: the products' tiles are 16 floats wide. */
export const convolutionTakes = {
  forward: (filter: readonly number[]) => filter[3]! % 16 === 0,
  filterGradient: (filter: readonly number[]) => filter[3]! % 16 === 0,
  inputGradient: (filter: readonly number[]) => (filter[1]! * filter[2]!) % 16 === 0,
};

// Winograd tiles per chunk (wasm/assembly/winograd.ts): a chunk's transformed inputs and products stay in cache.
const winogradChunk = 32;

/**
 * Whether a product of filter [kh, kw, inC, outC] runs as Winograd's F(2×2, 3×3), which multiplies about half as much
 * as the direct product, and the floats of scratch it needs. Its transforms take 4 channels a vector and its products
 * 16 columns a tile: the forward's and the filter gradient's columns are out channels, the input gradient's are in
 * channels. A first layer of 1 channel stays direct (there the transforms would cost what the multiplications save).
 */
const winograd = ([kh, kw, inC, outC]: number[], [sh, sw]: number[], inputGradient = false) => {
  const [vectors, columns] = inputGradient ? [outC!, inC!] : [inC!, outC!];
  const takes = kh === 3 && kw === 3 && sh === 1 && sw === 1 && vectors % 4 === 0 && columns % 16 === 0;
  return { takes, scratch: 16 * (inC! * outC! + winogradChunk * (inC! + outC!) + 32) + 64 };
};

/** The output size along one axis of a strided 'valid' convolution. */
const outputSize = (size: number, kernel: number, stride: number) => Math.floor((size - kernel) / stride) + 1;

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

/** Checks that dy [n, oh, ow, oc] is the output of a 'valid' convolution of `image` [n, h, w, c] with `kernel`. */
function checkOutput(image: Shape4, dy: Shape4, [kh, kw]: [number, number], [sh, sw]: [number, number]): void {
  const expected = [image[0], outputSize(image[1], kh, sh), outputSize(image[2], kw, sw)];
  if (expected.some((size, axis) => size !== dy[axis])) {
    throw new RangeError(`the convolution kernel expected dy [${expected}, oc], got [${dy}]`);
  }
}

/** relu?(conv(x, filter) + bias): inputs {x, filter, bias?}, attrs {strides, relu}. */
function forward(args: Args): Product {
  const [n, h, w, c] = shapeOf(args, 'x', '[n, h, w, c]');
  const [kh, kw, filterChannels, oc] = shapeOf(args, 'filter', '[kh, kw, c, oc]');
  const { strides, relu } = args.attrs as { strides: [number, number]; relu: boolean };
  if (filterChannels !== c || !convolutionTakes.forward([kh, kw, c, oc])) {
    throw new RangeError(`the convolution kernel expected a filter [${kh}, ${kw}, ${c}, a multiple of 16]`);
  }
  const { x, filter, bias } = args.inputs;
  const fast = winograd([kh, kw, c, oc], strides);
  return {
    inputs: [x, filter, bias],
    outputs: [[n, outputSize(h, kh, strides[0]), outputSize(w, kw, strides[1]), oc]],
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

/** dL/dfilter and dL/dbias: inputs {x, dy}, attrs {kernel, strides} → [dFilter, dBias]. */
function filterGradient(args: Args): Product {
  const { kernel, strides } = args.attrs as Geometry;
  const [n, h, w, c] = shapeOf(args, 'x', '[n, h, w, c]');
  const dyShape = shapeOf(args, 'dy', '[n, oh, ow, oc]');
  checkOutput([n, h, w, c], dyShape, kernel, strides);
  const oc = dyShape[3];
  if (!convolutionTakes.filterGradient([...kernel, c, oc])) {
    throw new RangeError(`the filter gradient kernel expected a multiple of 16 output channels, got ${oc}`);
  }
  const fast = winograd([...kernel, c, oc], strides);
  return {
    inputs: [args.inputs.x, args.inputs.dy],
    outputs: [[...kernel, c, oc], [oc]],
    scratch: fast.takes ? fast.scratch : 0,
    run: (compiled, [xAt, dyAt], [filterAt, biasAt], scratchAt) => {
      compiled('setConvolution')(n, h, w, c, ...kernel, ...strides, oc);
      if (fast.takes) {
        compiled('setWinograd')(n, h, w, c, oc, winogradChunk);
        compiled('winogradFilterGradient')(xAt!, dyAt!, filterAt!, scratchAt);
      } else compiled('convFilterGradient')(xAt!, dyAt!, filterAt!);
      compiled('convBiasGradient')(dyAt!, biasAt!);
    },
  };
}

/**
 * dL/dx of the padded input: inputs {dy, filterRows} (the filter as [oc, kh · kw · c]), attrs {kernel, strides,
 * shape} (the padded input's shape) → dx of that shape.
 */
function inputGradient(args: Args): Product {
  const { kernel, strides, shape } = args.attrs as Geometry & { shape: Shape4 };
  const dyShape = shapeOf(args, 'dy', '[n, oh, ow, oc]');
  checkOutput(shape, dyShape, kernel, strides);
  const [n, h, w, c] = shape;
  const oc = dyShape[3];
  const rows = args.inputs.filterRows;
  const patch = kernel[0] * kernel[1] * c;
  if (rows?.shape[0] !== oc || rows.shape[1] !== patch || !convolutionTakes.inputGradient([...kernel, c])) {
    throw new RangeError(
      `the input gradient kernel expected filterRows [${oc}, ${patch}] with kw · c a multiple of 16, got [${rows?.shape}]`,
    );
  }
  const fast = winograd([...kernel, c, oc], strides, true);
  return {
    inputs: [args.inputs.dy, rows],
    outputs: [[...shape]],
    scratch: fast.takes ? fast.scratch : 0,
    run: (compiled, [dyAt, rowsAt], [dxAt], scratchAt) => {
      compiled('setConvolution')(n, h, w, c, ...kernel, ...strides, oc);
      if (!fast.takes) return compiled('convInputGradient')(dyAt!, rowsAt!, dxAt!);
      compiled('setWinograd')(n, h, w, c, oc, winogradChunk);
      compiled('winogradFilter')(rowsAt!, oc, 4 * c, 36 * c, 4 * c, scratchAt);
      compiled('winogradInputGradient')(dyAt!, dxAt!, scratchAt);
    },
  };
}

export const wasmConvolution = {
  forward: onWasm(forward),
  filterGradient: onWasm(filterGradient),
  inputGradient: onWasm(inputGradient),
};

export const cpuConvolution = {
  forward: onCpu(forward),
  filterGradient: onCpu(filterGradient),
  inputGradient: onCpu(inputGradient),
};
