import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuMemory, runOnScratch } from './cpu/memory.js';
import { wasmHeap } from './wasm/heap.js';
import { type CompiledKernel, compiledKernel } from './wasm/module.js';

/**
 * The dense family: the forward product (bias and ReLU fused) and the whole backward in one call (the ReLU's mask, the
 * bias, kernel and input gradients), register-blocked products that read the kernel W as it lies
 * (wasm/assembly/dense.ts). XNNPACK packs W anew at every product, since W changes every step, and the stock backward
 * transposes twice. The same compiled products run on both backends: in place on tfjs-backend-wasm's heap, over copies
 * on tfjs-backend-cpu.
 */

type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };

/**
 * One call, backend-free: its input tensors, its output shapes, the floats of scratch it needs, and the compiled call
 * given the byte offsets of the inputs (absent ones 0), outputs and scratch.
 */
interface Product {
  inputs: (TensorInfo | undefined)[];
  outputs: number[][];
  scratch: number;
  run(kernel: (name: string) => CompiledKernel, inputs: number[], outputs: number[], scratch: number): void;
}

const onWasm = (describe: (args: Args) => Product) =>
  ((args: Args) => {
    const heap = wasmHeap(args.backend);
    const product = describe(args);
    // Allocating may grow the heap: offsets are taken after.
    const outputs = product.outputs.map((shape) => heap.allocate(shape));
    const scratch = product.scratch ? heap.allocate([product.scratch]) : undefined;
    const at = (info: TensorInfo | undefined) => (info ? heap.offsetOf(info) : 0);
    product.run((name) => compiledKernel(heap.memory, name), product.inputs.map(at), outputs.map(at), at(scratch));
    if (scratch) heap.release(scratch);
    return outputs.length === 1 ? outputs[0] : outputs;
  }) as unknown as KernelFunc;

const onCpu = (describe: (args: Args) => Product) =>
  ((args: Args) => {
    const memory = cpuMemory(args.backend);
    const product = describe(args);
    const present = product.inputs.filter((info) => info !== undefined);
    const sizes = product.outputs.map(([rows, columns = 1]) => rows! * columns);
    const values = runOnScratch(present.map(memory.view), [...sizes, product.scratch], (kernel, offsets) => {
      let next = 0;
      const inputs = product.inputs.map((info) => (info ? offsets[next++]! : 0));
      product.run(kernel, inputs, offsets.slice(present.length, -1), offsets.at(-1)!);
    });
    const outputs = values.slice(0, -1).map((array, k) => memory.output(product.outputs[k]!, array));
    return outputs.length === 1 ? outputs[0] : outputs;
  }) as unknown as KernelFunc;

/** The sizes of x [n, k] · kernel [k, m] and `wide`, m rounded up to the products' 16-column tiles; `outputs` [n, m]. */
function sizesOf({ inputs }: Args, outputs: string[]) {
  const { x, kernel, bias } = inputs;
  const [n = 0, k = 0] = x?.shape ?? [];
  const m = kernel?.shape[1] ?? 0;
  const fits = (info: TensorInfo | undefined, shape: number[]) =>
    info?.dtype === 'float32' && info.shape.join() === shape.join();
  const named = ['x', 'kernel', ...outputs].map((name) => `${name} [${inputs[name]?.shape}]`).join(', ');
  if (!fits(x, [n, k]) || !fits(kernel, [k, m]) || !outputs.every((name) => fits(inputs[name], [n, m]))) {
    const expected = ['x [n, k]', 'kernel [k, m]', ...outputs.map((name) => `${name} [n, m]`)].join(', ');
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

export const wasmDense = { forward: onWasm(forward), gradient: onWasm(gradient) };
export const cpuDense = { forward: onCpu(forward), gradient: onCpu(gradient) };
