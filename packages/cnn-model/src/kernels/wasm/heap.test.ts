import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../../__tests__/backends.js';
import { wasmHeap } from './heap.js';

// The kernels rely on four members of tfjs-backend-wasm's BackendWasm that tfjs does not publish. If a tfjs update
// moves or changes one of them, this test fails here, with heap.ts's message, before any kernel reads the wrong memory.
describe("tfjs-backend-wasm's heap", () => {
  it('still has the memory, tensor offsets and outputs that heap.ts uses', async () => {
    await useBackend('wasm');
    const heap = wasmHeap(tf.backend());
    const tensor = tf.tensor1d([1.5, -2, 3.25, 4]);
    const values = new Float32Array(heap.memory.buffer, heap.offsetOf(tensor), 4);
    expect(Array.from(values)).toEqual([1.5, -2, 3.25, 4]);
    const info = heap.allocate([2, 3]);
    const output = tf.engine().makeTensorFromTensorInfo(info);
    new Float32Array(heap.memory.buffer, heap.offsetOf(info), 6).set([1, 2, 3, 4, 5, 6]);
    expect(output.shape).toEqual([2, 3]);
    expect(Array.from(output.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    tf.dispose([tensor, output]);
  });

  it('names what is missing when handed something else', async () => {
    await useBackend('cpu');
    expect(() => wasmHeap(tf.backend())).toThrow(/BackendWasm\.wasm\.asm\.memory .*heap\.ts must follow/);
    expect(() => wasmHeap({})).toThrow(
      /wasmMemory \(a WebAssembly\.Memory\), getMemoryOffset\(\), makeOutput\(\), disposeData\(\)/,
    );
  });
});
