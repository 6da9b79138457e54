import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { sizeOf } from '../spec.js';
import { cpuMemory } from './cpu/memory.js';
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

/** A function describing the product a kernel runs for the arguments it is given. */
export type Describe = (args: Args) => Product;

/** The kernel function of `describe` on tfjs-backend-wasm: in place on its heap, outputs allocated first. */
export const onWasm = (describe: Describe) =>
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

const pageBytes = 65536;
let cpuScratch: WebAssembly.Memory | undefined; // made on first use: an engine may lack WebAssembly

/**
 * The kernel function of `describe` on tfjs-backend-cpu, whose tensors live in JavaScript: the product runs over
 * copies in a memory of our own, laid out from byte 0 (inputs, outputs, scratch), and its outputs are copied out.
 */
export const onCpu = (describe: Describe) =>
  ((args: Args) => {
    const cpu = cpuMemory(args.backend);
    const product = describe(args);
    const inputs = product.inputs.map((info) => info && cpu.view(info));
    const sizes = product.outputs.map(sizeOf);
    const offsets: number[] = [];
    let end = 0;
    for (const length of [...inputs.map((values) => values?.length ?? 0), ...sizes, product.scratch]) {
      offsets.push(end);
      end += Math.ceil(length / 4) * 16; // 16-byte aligned, as the kernels' vector loads expect
    }
    cpuScratch ??= new WebAssembly.Memory({ initial: 1 });
    const memory = cpuScratch;
    const missing = Math.ceil(end / pageBytes) - memory.buffer.byteLength / pageBytes;
    if (missing > 0) memory.grow(missing);
    const floats = new Float32Array(memory.buffer);
    // An absent input is at 0, which is also the first input's offset: that one is always present.
    const inputsAt = inputs.map((values, k) => (values ? offsets[k]! : 0));
    for (const [k, values] of inputs.entries()) if (values) floats.set(values, offsets[k]! / 4);
    const outputsAt = offsets.slice(inputs.length, -1);
    product.run((name) => compiledKernel(memory, name), inputsAt, outputsAt, offsets.at(-1)!);
    const outputs = outputsAt.map((at, k) => cpu.output(product.outputs[k]!, floats.slice(at / 4, at / 4 + sizes[k]!)));
    return outputs.length === 1 ? outputs[0] : outputs;
  }) as unknown as KernelFunc;
