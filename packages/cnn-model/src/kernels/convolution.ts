import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { wasmHeap } from './wasm/heap.js';
import { compiledKernel } from './wasm/module.js';

/**
 * The convolution family on wasm: the forward product (bias and ReLU fused), the filter gradient (with the bias
 * gradient) and the input gradient of a convolution with any strides, each one register-blocked matrix product that
 * reads patches in place (wasm/assembly/convolutions.ts). They take x already padded (the layer pads it, and crops the
 * input gradient), and the channel counts of `convolutionTakes`.
 */

type Shape4 = [number, number, number, number];
type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };
type Geometry = { kernel: [number, number]; strides: [number, number] };

/** What each kernel needs of a convolution's filter [kh, kw, c, oc]: the products' tiles are 16 floats wide. */
export const convolutionTakes = {
  forward: (filter: readonly number[]) => filter[3]! % 16 === 0,
  filterGradient: (filter: readonly number[]) => filter[3]! % 16 === 0,
  inputGradient: (filter: readonly number[]) => (filter[1]! * filter[2]!) % 16 === 0,
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

/** The compiled kernels on the backend's heap, set to compute this convolution (setConvolution's arguments). */
function convolutionKernels(memory: WebAssembly.Memory, ...geometry: number[]) {
  compiledKernel(memory, 'setConvolution')(...geometry);
  return (name: string) => compiledKernel(memory, name);
}

/** relu?(conv(x, filter) + bias): inputs {x, filter, bias?}, attrs {strides, relu}. */
export const wasmConvForward = ((args: Args) => {
  const heap = wasmHeap(args.backend);
  const [n, h, w, c] = shapeOf(args, 'x', '[n, h, w, c]');
  const [kh, kw, filterChannels, oc] = shapeOf(args, 'filter', '[kh, kw, c, oc]');
  const { strides, relu } = args.attrs as { strides: [number, number]; relu: boolean };
  if (filterChannels !== c || !convolutionTakes.forward([kh, kw, c, oc])) {
    throw new RangeError(`the convolution kernel expected a filter [${kh}, ${kw}, ${c}, a multiple of 16]`);
  }
  const { x, filter, bias } = args.inputs as Record<string, TensorInfo>;
  const y = heap.allocate([n, outputSize(h, kh, strides[0]), outputSize(w, kw, strides[1]), oc]);
  const at = heap.offsetOf;
  const kernels = convolutionKernels(heap.memory, n, h, w, c, kh, kw, ...strides, oc);
  kernels('convForward')(at(x!), at(filter!), bias ? at(bias) : 0, at(y), relu ? 1 : 0);
  return y;
}) as unknown as KernelFunc;

/** dL/dfilter, and dL/dbias with `withBias`: inputs {x, dy}, attrs {kernel, strides, withBias} → [dFilter, dBias?]. */
export const wasmConvFilterGradient = ((args: Args) => {
  const heap = wasmHeap(args.backend);
  const { kernel, strides, withBias } = args.attrs as Geometry & { withBias: boolean };
  const [n, h, w, c] = shapeOf(args, 'x', '[n, h, w, c]');
  const dyShape = shapeOf(args, 'dy', '[n, oh, ow, oc]');
  checkOutput([n, h, w, c], dyShape, kernel, strides);
  const oc = dyShape[3];
  if (!convolutionTakes.filterGradient([...kernel, c, oc])) {
    throw new RangeError(`the filter gradient kernel expected a multiple of 16 output channels, got ${oc}`);
  }
  const { x, dy } = args.inputs as Record<string, TensorInfo>;
  const dFilter = heap.allocate([kernel[0], kernel[1], c, oc]);
  const dBias = withBias ? heap.allocate([oc]) : undefined;
  const at = heap.offsetOf;
  const kernels = convolutionKernels(heap.memory, n, h, w, c, ...kernel, ...strides, oc);
  kernels('convFilterGradient')(at(x!), at(dy!), at(dFilter));
  if (!dBias) return [dFilter];
  kernels('convBiasGradient')(at(dy!), at(dBias));
  return [dFilter, dBias];
}) as unknown as KernelFunc;

/**
 * dL/dx of the padded input: inputs {dy, filterRows} (the filter as [oc, kh · kw · c]), attrs {kernel, strides,
 * shape} (the padded input's shape) → dx of that shape.
 */
export const wasmConvInputGradient = ((args: Args) => {
  const heap = wasmHeap(args.backend);
  const { kernel, strides, shape } = args.attrs as Geometry & { shape: Shape4 };
  const dyShape = shapeOf(args, 'dy', '[n, oh, ow, oc]');
  checkOutput(shape, dyShape, kernel, strides);
  const [n, h, w, c] = shape;
  const oc = dyShape[3];
  const rows = args.inputs.filterRows;
  if (
    rows?.shape[0] !== oc ||
    rows.shape[1] !== kernel[0] * kernel[1] * c ||
    !convolutionTakes.inputGradient([...kernel, c])
  ) {
    throw new RangeError(
      `the input gradient kernel expected filterRows [${oc}, ${kernel[0] * kernel[1] * c}] with kw · c a multiple of 16, got [${rows?.shape}]`,
    );
  }
  const dx = heap.allocate(shape);
  const at = heap.offsetOf;
  const kernels = convolutionKernels(heap.memory, n, h, w, c, ...kernel, ...strides, oc);
  kernels('convInputGradient')(at(args.inputs.dy!), at(rows), at(dx));
  return dx;
}) as unknown as KernelFunc;
