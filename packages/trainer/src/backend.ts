import { type KernelBuild, kernelBuild, kernelsUnavailable, registerKernels } from '@mnist-cnn/cnn-model';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError, TrainOptionsError } from './errors.js';

/** Which backend to run on; `auto` prefers WASM and falls back to CPU, saying why. */
export type BackendChoice = 'wasm' | 'cpu' | 'auto';

/** The backend that actually runs, and how. */
export interface BackendInfo {
  backend: 'wasm' | 'cpu';
  /** True when the WASM backend runs its SIMD binary. Always false on cpu. */
  simd: boolean;
  /** The .wasm file in use (`tfjs-backend-wasm-simd.wasm`, …), when the backend is wasm. */
  binary?: string;
  /** The kernels of cnn-model's kernel table registered for this backend (the optimizer update among them). */
  kernels: string[];
  /**
   * The build of cnn-model's kernel library those kernels run: `relaxed-simd` (fused multiply-add), `simd`, or `none`
   * where they cannot run here.
   */
  kernelBuild: KernelBuild | 'none';
  /** Why the result differs from the request (why `auto` fell back to cpu, or why no kernels were registered). */
  reason?: string;
}

/** Where the WASM binaries live and which features to use. */
export interface InitBackendOptions {
  /**
   * A URL or directory prefix ending in `/`, or a map from each of tfjs-backend-wasm's three .wasm file names to its
   * location, handed to `setWasmPaths`. Browsers need it unless the .wasm files are served beside the bundle; the Node
   * entry fills it in from the installed package. Anything else throws TrainOptionsError.
   */
  wasmPaths?: string | Record<string, string>;
  /** Set false to force the plain (non-SIMD) binary, for example to compare speeds. Default: use SIMD when available. */
  simd?: boolean;
}

/** tfjs-backend-wasm's three binaries. */
export const binaryNames = {
  plain: 'tfjs-backend-wasm.wasm',
  simd: 'tfjs-backend-wasm-simd.wasm',
  threadedSimd: 'tfjs-backend-wasm-threaded-simd.wasm',
} as const;

let configuredWasmPaths: string | undefined;

function configureWasmPaths(paths: string | Record<string, string>): void {
  const key = JSON.stringify(paths);
  if (configuredWasmPaths === key) return;
  if (tf.findBackend('wasm') !== null) {
    throw new BackendError('the WASM backend is already initialized; pass wasmPaths to the first initBackend call');
  }
  try {
    setWasmPaths(paths);
  } catch (error) {
    throw new BackendError(`cannot change wasmPaths: ${describe(error)}`, { cause: error });
  }
  configuredWasmPaths = key;
}

/** Registers cnn-model's kernels for `backend`, or says why they cannot run here (tfjs's stock kernels then do). */
function registerTable(backend: 'wasm' | 'cpu'): Pick<BackendInfo, 'kernels' | 'kernelBuild' | 'reason'> {
  try {
    const reason = kernelsUnavailable(backend);
    return reason
      ? { kernels: [], kernelBuild: 'none', reason: `${reason}; tfjs's stock kernels run instead` }
      : { kernels: registerKernels(backend), kernelBuild: kernelBuild(backend) };
  } catch (error) {
    throw new BackendError(`cnn-model's kernels cannot run here: ${describe(error)}`, { cause: error });
  }
}

async function startWasm(options: InitBackendOptions): Promise<BackendInfo> {
  if (typeof WebAssembly !== 'object') throw new BackendError('WebAssembly is not available in this runtime');
  if (options.wasmPaths !== undefined) configureWasmPaths(options.wasmPaths);
  if (options.simd === false) tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
  const [simd, threads] = (
    await Promise.all([tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')])
  ).map(Boolean) as [boolean, boolean];
  const started = await tf.setBackend('wasm').catch((error: unknown): never => {
    throw new BackendError(`the WASM backend failed to start: ${describe(error)}`, { cause: error });
  });
  if (!started) {
    throw new BackendError(
      'the WASM backend failed to start (its .wasm binary could not be loaded; check wasmPaths or the served files)',
    );
  }
  await tf.ready();
  const binary = simd && threads ? binaryNames.threadedSimd : simd ? binaryNames.simd : binaryNames.plain;
  return { backend: 'wasm', simd, binary, ...registerTable('wasm') };
}

async function startCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend('cpu'))) throw new BackendError('the CPU backend failed to start');
  await tf.ready();
  return { backend: 'cpu', simd: false, ...registerTable('cpu') };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

/**
 * Throws TrainOptionsError for a backend name or options `initBackend` cannot use. Both entries call it before any work;
 * it is not where wasm starts, since `auto` takes a throw there as a reason to fall back to cpu.
 */
export function checkBackendArguments(backend: unknown, options: unknown): void {
  if (backend !== 'wasm' && backend !== 'cpu' && backend !== 'auto') {
    throw new TrainOptionsError('backend', `unknown backend ${JSON.stringify(backend)}; expected wasm, cpu or auto`);
  }
  if (options === null || typeof options !== 'object') throw new TrainOptionsError('options', 'expected an object');
  const { simd, wasmPaths } = options as InitBackendOptions;
  if (simd !== undefined && typeof simd !== 'boolean') {
    const got = typeof simd === 'string' ? JSON.stringify(simd) : String(simd);
    throw new TrainOptionsError('simd', `expected true or false, got ${got}`);
  }
  if (wasmPaths !== undefined) checkWasmPaths(wasmPaths);
}

/**
 * tfjs's setWasmPaths takes any string, and a prefix without its final `/` runs into the file name
 * ("/wasmtfjs-backend-wasm.wasm"): the backend then fails to start with a message that names neither the option nor
 * the mistake. Checked here, before anything starts.
 */
function checkWasmPaths(wasmPaths: unknown): void {
  const names: string[] = Object.values(binaryNames);
  const fail = (got: string) =>
    new TrainOptionsError(
      'wasmPaths',
      `expected a URL or directory prefix ending in "/", or an object mapping each of ${names.join(', ')} to a location; got ${got}`,
    );
  if (typeof wasmPaths === 'string') {
    if (!wasmPaths.endsWith('/')) throw fail(shown(wasmPaths));
    return;
  }
  if (wasmPaths === null || typeof wasmPaths !== 'object' || Array.isArray(wasmPaths)) throw fail(shown(wasmPaths));
  const map = wasmPaths as Record<string, unknown>;
  for (const key of Object.keys(map)) if (!names.includes(key)) throw fail(`the key ${JSON.stringify(key)}`);
  for (const name of names) {
    const location = map[name];
    if (typeof location !== 'string' || location === '') {
      throw fail(`${location === undefined ? 'no location' : shown(location)} for ${name}`);
    }
  }
}

/** A value as an error message shows it: strings quoted, and never a function's source or "[object Object]". */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}

/**
 * Selects and initializes the tfjs backend (wasm, cpu or auto), registers cnn-model's kernel table for it, and reports
 * which backend runs, whether SIMD is used and which kernels were added.
 *
 * @example
 * ```ts
 * import { initBackend } from '@mnist-cnn/trainer';
 *
 * // In a browser; the site serves tfjs-backend-wasm's .wasm files under /wasm/.
 * const info = await initBackend('auto', { wasmPaths: '/wasm/' });
 * console.log(info.backend, info.simd, info.reason ?? ''); // wasm true, or cpu and why
 * ```
 */
export async function initBackend(
  backend: BackendChoice = 'auto',
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  checkBackendArguments(backend, options);
  if (backend === 'cpu') return startCpu();
  if (backend === 'wasm') return startWasm(options);
  try {
    return await startWasm(options);
  } catch (error) {
    const info = await startCpu();
    return { ...info, reason: `fell back to cpu: ${describe(error)}` };
  }
}

const kernelBuildNames = { 'relaxed-simd': 'relaxed-SIMD kernels', simd: 'SIMD kernels', none: 'stock kernels' };

/** Describes a backend for people: `wasm (SIMD, relaxed-SIMD kernels)`, or `cpu (stock kernels) — fell back to cpu: …`. */
export function describeBackend(info: BackendInfo): string {
  const simd = info.backend === 'wasm' ? (info.simd ? 'SIMD, ' : 'no SIMD, ') : '';
  return `${info.backend} (${simd}${kernelBuildNames[info.kernelBuild]})${info.reason ? ` — ${info.reason}` : ''}`;
}

/** The backend tfjs currently runs on, as this package names it, or undefined if it is neither cpu nor wasm. */
export function currentBackend(): 'wasm' | 'cpu' | undefined {
  const name = tf.getBackend();
  return name === 'wasm' || name === 'cpu' ? name : undefined;
}
