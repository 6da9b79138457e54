import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { cpuMemory, runOnScratch } from './cpu/memory.js';
import { wasmHeap } from './wasm/heap.js';
import { type CompiledKernel, compiledKernel } from './wasm/module.js';

/** A kernel function's arguments, as tfjs passes them. */
export type Args = { inputs: Record<string, TensorInfo | undefined>; backend: unknown; attrs?: unknown };

/**
 * One call of a compiled product, backend-free: its input tensors, its output shapes, the floats of scratch memory it
 * needs, and the product to run given the compiled kernels and the byte offsets of the inputs (absent ones 0),
 * outputs and scratch. `onWasm` and `onCpu` turn a function describing it into each backend's kernel function.
 */
export interface Product {
  inputs: (TensorInfo | undefined)[];
  outputs: number[][];
  scratch: number;
  run(kernel: (name: string) => CompiledKernel, inputs: number[], outputs: number[], scratch: number): void;
}

/** The kernel function of `describe` on tfjs-backend-wasm: in place on its heap, outputs allocated first. */
export const onWasm = (describe: (args: Args) => Product) =>
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

/** The kernel function of `describe` on tfjs-backend-cpu: the product runs over copies in a memory of our own. */
export const onCpu = (describe: (args: Args) => Product) =>
  ((args: Args) => {
    const memory = cpuMemory(args.backend);
    const product = describe(args);
    const present = product.inputs.filter((info) => info !== undefined);
    const sizes = product.outputs.map((shape) => shape.reduce((a, b) => a * b, 1));
    const values = runOnScratch(present.map(memory.view), [...sizes, product.scratch], (kernel, offsets) => {
      // Scratch offset 0 is the first input's, which is always present: 0 still means an absent input.
      let next = 0;
      const inputs = product.inputs.map((info) => (info ? offsets[next++]! : 0));
      product.run(kernel, inputs, offsets.slice(present.length, -1), offsets.at(-1)!);
    });
    const outputs = values.slice(0, -1).map((array, k) => memory.output(product.outputs[k]!, array));
    return outputs.length === 1 ? outputs[0] : outputs;
  }) as unknown as KernelFunc;
