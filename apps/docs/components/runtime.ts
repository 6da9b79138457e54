// Browser-side setup shared by the demo panels: one tfjs backend for the page, WASM first, CPU as the fallback.
import type { BackendInfo } from '@mnist-cnn/trainer';
import { withBase } from 'vitepress';

let starting: Promise<BackendInfo & { description: string }> | undefined;

/**
 * Starts tfjs once per page on WASM (binaries served from /wasm/), falling back to the CPU backend. Resolves to the
 * backend and its description for people, e.g. "wasm (SIMD, relaxed-SIMD kernels)"; the trainer stays out of the
 * page's first bundle until a panel needs it.
 */
export function startBackend(): Promise<BackendInfo & { description: string }> {
  starting ??= import('@mnist-cnn/trainer').then(async ({ initBackend, describeBackend }) => {
    const info = await initBackend('auto', { wasmPaths: new URL(withBase('/wasm/'), window.location.href).href });
    return { ...info, description: describeBackend(info) };
  });
  return starting;
}
