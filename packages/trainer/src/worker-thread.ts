// The entry of a worker thread. It boots first (tfjs and its own backend, as `workerData` says), which may happen
// before any pool wants it (see thread-start.ts), then waits for its setup as its first message. A training worker
// builds a model replica and optimizer; each step it computes its shard's gradients, waits for every other shard's in
// the shared exchange, and applies the batch mean itself. An inference worker (threaded-inference.ts) starts the same
// replica and only predicts.
import { parentPort, workerData } from 'node:worker_threads';
import { createModel, createRngFromState } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { BatchAssembler } from './batches.js';
import { initBackend } from './node-backend.js';
import { Optimizer } from './optimizer.js';
import { arrivalsAfter, type Exchange, Replica, shardSizes } from './replica.js';
import { serveInference } from './threaded-inference.js';
import {
  type InferenceSetup,
  inputSlot,
  type StepRequest,
  type ThreadBoot,
  type WorkerReply,
  type WorkerSetup,
} from './worker-protocol.js';

const boot = workerData as ThreadBoot;
const port = parentPort!;
const send = (reply: WorkerReply) => port.postMessage(reply);

async function bootThread(): Promise<void> {
  if (boot.prodMode) tf.enableProdMode();
  await initBackend(boot.backend, boot.simd ? {} : { simd: false });
}
const booting = bootThread();
booting.catch(() => {}); // reported once the setup arrives; a thread nobody takes stays quiet

class Stopped extends Error {}

/** Blocks this thread until every shard of `step` has arrived, or the main thread says the run is over. */
function waitForShards(exchange: Exchange, step: number): void {
  const target = arrivalsAfter(exchange, step);
  for (;;) {
    const arrived = Atomics.load(exchange.signals, 0);
    if (arrived >= target) return;
    if (Atomics.load(exchange.signals, 1) !== 0) throw new Stopped();
    Atomics.wait(exchange.signals, 0, arrived, 1000);
  }
}

async function start(setup: WorkerSetup | InferenceSetup): Promise<void> {
  await booting;
  const model = createModel(setup.spec, { seed: 0 });
  model.setWeights(setup.weights);
  if ('task' in setup) return serveInference(model, port, send);
  const optimizer = new Optimizer(setup.optimizer.config, setup.optimizer.learningRate);
  // A fresh run's optimizer has no state yet; a resumed one's must match the main thread's exactly.
  if (setup.optimizer.state.iterations > 0) await optimizer.loadState(setup.optimizer.state);
  const { exchange } = setup;
  const replica = new Replica(model, optimizer, setup.slots, exchange, setup.index);
  const [rows, cols] = setup.spec.inputShape;
  // The input slots, seen as a small split of their own: the main thread rewrites a slot only once every shard of the
  // step that used it has arrived, and this thread has assembled its shard from it by then.
  const { pixels: images, labels } = setup;
  const slots = { images, labels, rows, cols, count: labels.length };
  const assembler = new BatchAssembler(slots, setup.shardCapacity, setup.spec.normalization, setup.augment);
  const positions = Int32Array.from({ length: labels.length }, (_, i) => i);
  port.on('message', (request: StepRequest) => {
    try {
      const size = shardSizes(request.count, exchange.shards)[setup.index]!;
      const first = inputSlot(request.step) * setup.shardCapacity;
      const rng = request.augmentState ? createRngFromState(request.augmentState) : undefined;
      const { pixels, labels } = assembler.assemble(positions.subarray(first, first + size), rng);
      replica.contribute(request.step, pixels, labels, request.seed);
      waitForShards(exchange, request.step);
      replica.combine(request.step, request.count, request.learningRate);
    } catch (error) {
      if (error instanceof Stopped) return;
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
  send({ type: 'ready' });
}

port.once('message', (setup: WorkerSetup | InferenceSetup) => {
  start(setup).catch((error: unknown) => {
    send({ type: 'failed', message: `could not start: ${error instanceof Error ? error.message : String(error)}` });
  });
});
