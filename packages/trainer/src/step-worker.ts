// The entry of a training worker thread: its own tfjs backend and model replica, computing gradients for its shard of
// each batch. The main thread owns the optimizer; this thread never updates weights on its own.
import { parentPort, workerData } from 'node:worker_threads';
import { type CnnModel, createModel } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './node-backend.js';
import type { StepRequest, WorkerReply, WorkerSetup } from './worker-protocol.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;
const send = (reply: WorkerReply) => port.postMessage(reply);

function variablesByWeight(model: CnnModel): Map<string, tf.Variable> {
  const byName = new Map(
    [...model.trainableVariables, ...model.nonTrainableVariables].map((variable) => [variable.name, variable]),
  );
  return new Map(setup.slots.map((slot) => [slot.name, byName.get(model.variableName(slot.name))!]));
}

function runShard(model: CnnModel, variables: Map<string, tf.Variable>, request: StepRequest): WorkerReply {
  // Straight into the replica's variables: the names and sizes were fixed when the pool started.
  const shared = new Float32Array(setup.weights);
  tf.tidy(() => {
    for (const slot of setup.slots) {
      const variable = variables.get(slot.name)!;
      const values = shared.subarray(slot.offset, slot.offset + slot.length);
      // The cpu backend keeps the array it is given, and the main thread rewrites this buffer each step: copy there.
      variable.assign(tf.tensor(setup.backend === 'cpu' ? values.slice() : values, variable.shape, 'float32'));
    }
  });
  const [height, width, channels] = setup.spec.inputShape;
  // Copies: the cpu backend would otherwise keep views of buffers the main thread overwrites next step.
  const pixels = new Float32Array(setup.pixels, 0, request.count * height * width * channels).slice();
  const labels = new Int32Array(setup.labels, 0, request.count).slice();
  const { loss, correct, gradients } = tf.tidy(() =>
    model.computeGradients(
      tf.tensor4d(pixels, [request.count, height, width, channels]),
      tf.tensor1d(labels, 'int32'),
      { seed: request.seed },
    ),
  );
  try {
    const output = new Float32Array(setup.output);
    for (const slot of setup.slots) {
      const variable = variables.get(slot.name)!;
      const source = slot.trainable ? gradients[variable.name] : variable;
      if (source === undefined) throw new Error(`the model returned no gradient for ${slot.name}`);
      output.set(source.dataSync() as Float32Array, slot.offset);
    }
    return { type: 'done', loss: loss.dataSync()[0]!, correct: correct.dataSync()[0]! };
  } finally {
    tf.dispose([loss, correct, gradients]);
  }
}

async function start(): Promise<void> {
  if (setup.prodMode) tf.enableProdMode();
  await initBackend(setup.backend, { ...(setup.simd ? {} : { simd: false }), fastKernels: setup.fastKernels });
  const model = createModel(setup.spec, { seed: 0 }); // every weight is overwritten before each step
  const variables = variablesByWeight(model);
  port.on('message', (request: StepRequest) => {
    try {
      send(runShard(model, variables, request));
    } catch (error) {
      send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  });
  send({ type: 'ready' });
}

start().catch((error: unknown) => {
  send({ type: 'failed', message: `could not start: ${error instanceof Error ? error.message : String(error)}` });
});
