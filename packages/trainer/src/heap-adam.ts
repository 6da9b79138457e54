import { wasmAssembly } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import type { ResolvedOptimizerConfig } from './optimizer.js';
import { type AdamScalars, type StepScalars, updateWeight } from './optimizer-updates.js';
import { type AdamExports, adamOnMemory } from './simd-adam.js';

type AdamConfig = Extract<ResolvedOptimizerConfig, { name: 'adam' }>;
type WasmBackendLike = wasmAssembly.WasmBackendLike;

/**
 * Adam on tfjs-backend-wasm's heap: the SIMD kernel imports the backend's memory, reads each weight and gradient tensor
 * where it is, keeps the moments there as tensors (updated in place) and writes the new weights straight into a new
 * tensor on the heap, which the variable is then assigned. The kernel on its own memory (simd-adam.ts) instead copies
 * every weight and gradient in, and the result out through JavaScript into a new tensor, every step: about 1 ms of the
 * reference net's 1.5 ms Adam update on this machine class.
 *
 * The weights are never written in place: the backend's XNNPACK convolutions and matrix products keep a packed copy of
 * a weight tensor until it is disposed, so a weight changed in place would go on being used with its old values.
 */
export class HeapAdam {
  /** [first moments, second moments]: one kept tensor per variable, made on the variable's first update. */
  private readonly moments: [tf.Tensor[], tf.Tensor[]] = [[], []];
  /** Where gradients given as arrays (or held by another backend) are copied for the kernel. */
  private scratch: tf.Tensor | undefined;

  private constructor(
    private readonly backend: WasmBackendLike,
    private readonly kernel: AdamExports,
    /**
     * Moments from before (a loaded state, or another backend's run), moved in on each variable's first update and
     * then let go of.
     */
    private readonly pending: (Float32Array | undefined)[][],
  ) {}

  /** An instance for the current backend if it is wasm with SIMD, else null. `slots` are [m, v] arrays per variable. */
  static create(slots: Float32Array[][]): HeapAdam | null {
    const backend = tf.backend();
    if (!wasmAssembly.isWasmBackend(backend)) return null;
    const kernel = adamOnMemory(backend.wasm.asm.memory);
    return kernel ? new HeapAdam(backend, kernel, slots) : null;
  }

  /** Whether this instance works on `backend`'s heap. */
  runsOn(backend: unknown): boolean {
    return backend === this.backend;
  }

  /** One Adam step for `variables`; `gradients` in the same order, as tensors or arrays of the same sizes. */
  update(
    config: AdamConfig,
    stepScalars: StepScalars,
    constants: AdamScalars,
    variables: readonly tf.Variable[],
    gradients: readonly (Float32Array | tf.Tensor)[],
  ): void {
    // Everything that allocates on the heap first: an allocation may grow the memory, which detaches earlier views.
    const copied = gradients.map((gradient) => !(gradient instanceof tf.Tensor) || !this.onHeap(gradient));
    const longestCopy = Math.max(0, ...variables.filter((_, index) => copied[index]).map((variable) => variable.size));
    if (longestCopy > (this.scratch?.size ?? 0)) {
      this.scratch?.dispose();
      this.scratch = tf.keep(tf.zeros([longestCopy]));
    }
    const sources = variables.map((variable, index) => {
      this.moment(0, index, variable.size);
      this.moment(1, index, variable.size);
      return this.onHeap(variable) ? variable : this.heapCopy(variable);
    });
    const engine = tf.engine();
    const updated = variables.map((variable) =>
      engine.makeTensorFromTensorInfo(this.backend.makeOutput(variable.shape, 'float32')),
    );
    try {
      this.run(config, stepScalars, constants, { sources, gradients, copied, updated });
      for (const [index, variable] of variables.entries()) variable.assign(updated[index]!);
    } finally {
      tf.dispose([...updated, ...sources.filter((source, index) => source !== variables[index])]);
    }
  }

  /** The kernel over every variable, once all the step's tensors are allocated. */
  private run(
    config: AdamConfig,
    stepScalars: StepScalars,
    constants: AdamScalars,
    step: {
      sources: readonly tf.Tensor[];
      gradients: readonly (Float32Array | tf.Tensor)[];
      copied: readonly boolean[];
      updated: readonly tf.Tensor[];
    },
  ): void {
    const heap = this.backend.wasm.asm.memory.buffer;
    const at = (tensor: tf.Tensor) => wasmAssembly.offsetOf(this.backend, tensor);
    for (const [index, source] of step.sources.entries()) {
      const size = source.size;
      const gradient = step.gradients[index]!;
      let gradientAt: number;
      if (step.copied[index]) {
        gradientAt = at(this.scratch!);
        const values = gradient instanceof tf.Tensor ? gradient.dataSync() : gradient;
        new Float32Array(heap, gradientAt, size).set(values);
      } else {
        gradientAt = at(gradient as tf.Tensor);
      }
      const [weightsAt, updatedAt] = [at(source), at(step.updated[index]!)];
      const [firstAt, secondAt] = [at(this.moments[0][index]!), at(this.moments[1][index]!)];
      const vectors = size - (size % 4);
      this.kernel.adam(
        weightsAt,
        gradientAt,
        firstAt,
        secondAt,
        updatedAt,
        vectors * 4,
        constants.beta1,
        constants.oneMinusBeta1,
        constants.beta2,
        constants.oneMinusBeta2,
        constants.correction1,
        constants.correction2,
        constants.epsilon,
        constants.negativeRate,
      );
      if (vectors < size) {
        // The last one to three values, which do not fill a vector: the JavaScript loop gives the same float32 results.
        const tail = (start: number) => new Float32Array(heap, start + vectors * 4, size - vectors);
        const moments = [tail(firstAt), tail(secondAt)];
        updateWeight(config, stepScalars, tail(weightsAt), tail(gradientAt), moments, tail(updatedAt));
      }
    }
  }

  /** Copies of the moments, [m, v] per variable (ones never updated here come back as they were given). */
  read(): Float32Array[][] {
    return this.moments.map((group, groupIndex) => {
      const pending = this.pending[groupIndex] ?? [];
      const values: Float32Array[] = [];
      for (let index = 0; index < Math.max(group.length, pending.length); index++) {
        const moment = group[index];
        const value = moment ? (moment.dataSync() as Float32Array).slice() : pending[index];
        if (value) values[index] = value;
      }
      return values;
    });
  }

  /** Frees the moments and the scratch tensor. */
  dispose(): void {
    tf.dispose([...this.moments[0], ...this.moments[1], ...(this.scratch ? [this.scratch] : [])]);
    this.moments[0].length = 0;
    this.moments[1].length = 0;
    this.scratch = undefined;
  }

  private onHeap(tensor: tf.Tensor): boolean {
    return this.backend.dataIdMap.get(tensor.dataId) !== undefined;
  }

  /** A heap copy of a variable that another backend holds (the caller frees it). */
  private heapCopy(variable: tf.Variable): tf.Tensor {
    return tf.tensor(variable.dataSync(), variable.shape, 'float32');
  }

  private moment(group: 0 | 1, index: number, size: number): void {
    if (this.moments[group][index]) return;
    const initial = this.pending[group]?.[index];
    if (initial && initial.length !== size) {
      throw new Error(`optimizer slot ${index} holds ${initial.length} values, expected ${size}`);
    }
    this.moments[group][index] = tf.keep(initial ? tf.tensor1d(initial, 'float32') : tf.zeros([size]));
    if (initial) this.pending[group]![index] = undefined;
  }
}
