import * as tf from '@tensorflow/tfjs-core';
import { convolution } from './convolution.js';
import { dense } from './dense.js';
import { maxPool } from './max-pool.js';
import { type KernelName, kernelNames } from './names.js';
import { optimizerUpdateProduct } from './optimizer-update.js';
import { type Describe, onCpu, onWasm } from './products.js';
import { wasmHeap } from './wasm/heap.js';
import { isShared, type KernelBuild, type KernelLibrary, kernelLibrary } from './wasm/module.js';

/**
 * Our kernels by name, each the product it runs. A kernel stays only while the step benchmark
 * (`pnpm --filter @mnist-cnn/cnn-model bench`) shows it saving at least 3% of a training step against the stock ops.
 * Both backends run the same compiled kernels: in place on tfjs-backend-wasm's heap, over copies on tfjs-backend-cpu.
 */
const products: Record<KernelName, Describe> = {
  [kernelNames.convForward]: convolution.forward,
  [kernelNames.convGradient]: convolution.gradient,
  [kernelNames.denseForward]: dense.forward,
  [kernelNames.denseGradient]: dense.gradient,
  [kernelNames.maxPool]: maxPool.forward,
  [kernelNames.maxPoolBackprop]: maxPool.gradient,
  [kernelNames.optimizerUpdate]: optimizerUpdateProduct,
};

/** How each backend with a kernel table runs a product. */
const runners = new Map([
  ['cpu', onCpu],
  ['wasm', onWasm],
]);

/** The kernel library that `backendName` runs (the shared-memory build on tfjs-backend-wasm's threaded build). */
function libraryFor(backendName: string): KernelLibrary | string {
  // The started backend only: tf.findBackend would start one, before the caller may have set its wasm paths.
  const wasm = backendName === 'wasm' ? tf.engine().registry.wasm : undefined;
  return kernelLibrary(wasm !== undefined && isShared(wasmHeap(wasm).memory));
}

/**
 * Why our kernels cannot run on `backendName` (default: the active backend), or undefined where they can: they need
 * WebAssembly SIMD, and threads too on tfjs-backend-wasm's threaded build, whose memory is shared.
 */
export function kernelsUnavailable(backendName: string = tf.getBackend()): string | undefined {
  const library = libraryFor(backendName);
  return typeof library === 'string' ? `cnn-model's kernels cannot run here: ${library}` : undefined;
}

/** Which build of the kernel library `backendName` (default: the active backend) runs, or `none` where it cannot run. */
export function kernelBuild(backendName: string = tf.getBackend()): KernelBuild | 'none' {
  const library = libraryFor(backendName);
  return typeof library === 'string' ? 'none' : library.build;
}

/**
 * Registers the kernel table of `backendName` (default: the active backend) and returns the names registered: none for
 * a backend without a table, or where the kernels cannot run (`kernelsUnavailable` says why), so stock ops run instead.
 * Idempotent.
 */
export function registerKernels(backendName: string = tf.getBackend()): string[] {
  const runOn = runners.get(backendName);
  if (runOn === undefined || kernelsUnavailable(backendName)) return [];
  for (const [name, describe] of Object.entries(products)) {
    if (!tf.getKernel(name, backendName))
      tf.registerKernel({ kernelName: name, backendName, kernelFunc: runOn(describe) });
  }
  return Object.keys(products);
}

/** Removes our kernels from `backendName` (default: the active backend); the layers fall back to stock ops. */
export function unregisterKernels(backendName: string = tf.getBackend()): void {
  for (const name of Object.values(kernelNames)) {
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
  }
}
