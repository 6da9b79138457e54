import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { enableRelaxedSimd } from '@mnist-cnn/cnn-model/node';
import {
  type BackendChoice,
  type BackendInfo,
  binaryNames,
  checkBackendArguments,
  type InitBackendOptions,
  initBackend as initAnyBackend,
} from './backend.js';

/**
 * The directory of the installed @tensorflow/tfjs-backend-wasm binaries, found through module resolution rather than
 * `__dirname`, so it also works from ESM bundles where `__dirname` does not exist.
 */
export function installedWasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

/**
 * Like the browser `initBackend`, but loads the WASM binaries from the installed package unless told otherwise, and
 * lets Node 20 run cnn-model's relaxed-SIMD kernels (`enableRelaxedSimd`), as newer Node does by default.
 *
 * @example
 * ```ts
 * import { initBackend } from '@mnist-cnn/trainer/node';
 *
 * const info = await initBackend('auto');
 * console.log(info); // { backend: 'wasm', simd: true, binary: 'tfjs-backend-wasm-simd.wasm', kernelBuild: 'relaxed-simd', … }
 * ```
 */
export async function initBackend(
  backend: BackendChoice = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  checkBackendArguments(backend, options);
  // Before the kernel library first compiles: Node 20 then runs its relaxed-SIMD build too (a faster step).
  enableRelaxedSimd();
  if (options.wasmPaths !== undefined) return initAnyBackend(backend, options);
  const directory = installedWasmDirectory();
  // Emscripten's Node loader reads plain file paths with fs; absolute paths keep it independent of the cwd.
  const wasmPaths = Object.fromEntries(Object.values(binaryNames).map((name) => [name, join(directory, name)]));
  // The wasm backend's Node build reads `__dirname` while it starts; inside an ESM bundle that name does not exist,
  // so lend it a global one for the duration of the start-up.
  const lendDirname = !('__dirname' in globalThis);
  if (lendDirname) (globalThis as { __dirname?: string }).__dirname = directory;
  try {
    return await initAnyBackend(backend, { ...options, wasmPaths });
  } finally {
    if (lendDirname) delete (globalThis as { __dirname?: string }).__dirname;
  }
}
