import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { Args, Product } from './products.js';

/**
 * The dense family: the forward product (bias and ReLU fused) and the whole backward in one call (the ReLU's mask, the
 * bias, kernel and input gradients), register-blocked products that read the kernel W as it lies
 * (wasm/assembly/dense.ts). XNNPACK packs W anew at every product, since W changes every step, and the stock backward
 * transposes twice.
 */

/** The sizes of x [n, k] · kernel [k, m] and `wide`, m rounded up to the products' 16-column tiles; `outputs` [n, m]. */
function sizesOf({ inputs }: Args, outputs: string[]) {
  const { x, kernel, bias } = inputs;
  const [n = 0, k = 0] = x?.shape ?? [];
  const m = kernel?.shape[1] ?? 0;
  const fits = (info: TensorInfo | undefined, shape: number[]) =>
    info?.dtype === 'float32' && info.shape.join() === shape.join();
  if (!fits(x, [n, k]) || !fits(kernel, [k, m]) || !outputs.every((name) => fits(inputs[name], [n, m]))) {
    const expected = ['x [n, k]', 'kernel [k, m]', ...outputs.map((name) => `${name} [n, m]`)].join(', ');
    const named = ['x', 'kernel', ...outputs].map((name) => `${name} [${inputs[name]?.shape}]`).join(', ');
    throw new TypeError(`the dense kernel expected float32 ${expected}; got ${named}`);
  }
  if (bias && !fits(bias, [m])) throw new TypeError(`the dense kernel expected bias [${m}], got [${bias.shape}]`);
  return { n, k, m, wide: Math.ceil(m / 16) * 16 };
}

/** relu?(x · kernel + bias): inputs {x, kernel, bias?}, attrs {relu}. */
function forward(args: Args): Product {
  const { n, k, m, wide } = sizesOf(args, []);
  const { relu } = args.attrs as { relu: boolean };
  return {
    inputs: [args.inputs.x, args.inputs.kernel, args.inputs.bias],
    outputs: [[n, m]],
    scratch: wide === m ? 0 : (k + 1 + n) * wide,
    run: (kernel, [x, w, bias], [y], scratch) => {
      kernel('setDense')(n, k, m);
      kernel('denseForward')(x!, w!, bias!, y!, relu ? 1 : 0, scratch);
    },
  };
}

/**
 * The backward of relu?(x · kernel + bias) given dy, and y where `relu`: inputs {x, kernel, dy, y?}, attrs {relu,
 * inputGradient} → [dKernel, dBias, dx (with `inputGradient`)].
 */
function gradient(args: Args): Product {
  const { relu, inputGradient } = args.attrs as { relu: boolean; inputGradient: boolean };
  const { n, k, m, wide } = sizesOf(args, relu ? ['dy', 'y'] : ['dy']);
  return {
    inputs: [args.inputs.x, args.inputs.kernel, args.inputs.dy, relu ? args.inputs.y : undefined],
    outputs: [[k, m], [m], ...(inputGradient ? [[n, k]] : [])],
    scratch: (n + (wide === m ? 0 : 2 * k)) * wide,
    run: (kernel, [x, w, dy, y], [dw, db, dx], scratch) => {
      kernel('setDense')(n, k, m);
      kernel('denseGradient')(x!, w!, dy!, y!, relu ? 1 : 0, dw!, db!, dx ?? 0, scratch);
    },
  };
}

export const dense = { forward, gradient };
