import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { currentBackend } from './backend.js';
import { BackendError, checkNumber, integerIn } from './errors.js';
import type { ThreadBoot } from './worker-protocol.js';

export function defaultWorkerScript(): URL {
  // From the sources (tests run them through vitest), the worker comes from the package's build.
  return import.meta.url.endsWith('.ts')
    ? new URL('../dist/worker-thread.js', import.meta.url)
    : new URL('./worker-thread.js', import.meta.url);
}

export function wasmSimdEnabled(): boolean {
  try {
    return Boolean(tf.env().get('WASM_HAS_SIMD_SUPPORT'));
  } catch {
    return true; // not evaluated yet: let the worker detect it
  }
}

/** A thread started ahead of its pool, booting (or booted) and waiting for its setup. */
interface StartedThread {
  thread: Worker;
  script: string;
  boot: ThreadBoot;
  /** Detaches the listeners that drop the thread when it fails while it waits. */
  detach(): void;
}

const waiting: StartedThread[] = [];

/** How a thread started now would boot: this thread's backend, SIMD setting and tfjs production mode. */
export function currentBoot(): ThreadBoot {
  const backend = currentBackend();
  if (backend === undefined) {
    throw new BackendError(`worker threads run on cpu or wasm, not on ${tf.getBackend()}; call initBackend first`);
  }
  return { backend, simd: backend === 'wasm' && wasmSimdEnabled(), prodMode: tf.env().getBool('PROD') };
}

/**
 * Starts `count` worker threads now, on this thread's backend, for the next `train` (with `workers` above 1) or
 * `openInferencePool` to take instead of starting its own. A thread takes about half a second to load tfjs and start
 * its backend; started before the caller reads its dataset, that happens meanwhile. Threads nobody takes wait idle and
 * never keep the process alive. Call after `initBackend`; a pool on another backend, or after `enableProdMode` changed,
 * starts fresh threads and ends these.
 *
 * @example
 * ```ts
 * import { loadDataset } from '@mnist-cnn/mnist-data/node';
 * import { initBackend, startWorkerThreads, train } from '@mnist-cnn/trainer/node';
 *
 * await initBackend('wasm');
 * startWorkerThreads(1); // boots while the dataset loads
 * const mnist = await loadDataset();
 * const result = await train({ model: 'reference', train: mnist.train, workers: 2 }); // takes the started thread
 * ```
 */
export function startWorkerThreads(count: number, options: { workerScript?: string | URL } = {}): void {
  checkNumber('count', count, integerIn(0, 255));
  const boot = currentBoot();
  const script = options.workerScript ?? defaultWorkerScript();
  for (let i = 0; i < count; i++) {
    const thread = startThread(script, boot);
    // A thread that dies while it waits is dropped; the pool that would have taken it starts a fresh one, whose
    // failure it then reports. (A thread whose boot fails says so only once its setup arrives, to the pool.)
    const drop = () => {
      const index = waiting.findIndex((entry) => entry.thread === thread);
      if (index >= 0) waiting.splice(index, 1)[0]!.detach();
      thread.terminate().catch(() => {});
    };
    thread.on('error', drop).on('exit', drop);
    thread.unref();
    const detach = () => thread.off('error', drop).off('exit', drop);
    waiting.push({ thread, script: String(script), boot, detach });
  }
}

/** A new worker thread running `script`, which boots as `boot` says and then waits for its setup message. */
export function startThread(script: string | URL, boot: ThreadBoot): Worker {
  return new Worker(script, { workerData: boot });
}

/** The number of started threads no pool has taken yet. */
export function waitingThreadCount(): number {
  return waiting.length;
}

/**
 * A started thread for a pool running `script` with `boot`, now the pool's (it keeps the process alive again), or
 * undefined when none is waiting. Waiting threads that boot differently are ended: nothing could take them now.
 */
export function takeStartedThread(script: string | URL, boot: ThreadBoot): Worker | undefined {
  const same = (entry: StartedThread) =>
    entry.script === String(script) &&
    entry.boot.backend === boot.backend &&
    entry.boot.simd === boot.simd &&
    entry.boot.prodMode === boot.prodMode;
  for (const stale of waiting.filter((entry) => !same(entry))) {
    waiting.splice(waiting.indexOf(stale), 1);
    stale.detach();
    stale.thread.terminate().catch(() => {});
  }
  const taken = waiting.shift();
  if (!taken) return undefined;
  taken.detach();
  taken.thread.ref();
  return taken.thread;
}
