// Trains on real MNIST in a process started with V8's --no-enable-sse4-1, under which V8 (Node 20 and 24) has no
// WebAssembly SIMD, as on a CPU without SSE4.1: cnn-model's kernels cannot load, tfjs-backend-wasm picks its plain
// binary, and training must still work on tfjs's stock kernels. Prints one JSON line per backend.
// Usage: node --no-enable-sse4-1 train.mjs TRAINER_ENTRY SPEC_JSON BACKEND... (the test passes its compactSpec).
import { sliceSplit } from '@mnist-cnn/mnist-data';
import { loadDataset } from '@mnist-cnn/mnist-data/node';

const [entry, specJson, ...backends] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const { evaluate, initBackend, train } = await import(entry);
// The smallest module with a SIMD instruction (v128.const, drop): what this engine says of it is what it supports.
const simdProbe = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 23, 1, 21, 0, 253, 12];
const validatesSimd = WebAssembly.validate(new Uint8Array([...simdProbe, ...new Array(16).fill(0), 26, 11]));
const data = await loadDataset();
for (const backend of backends) {
  const info = await initBackend(backend);
  const options = { model: spec, train: sliceSplit(data.train, 0, 2000), epochs: 2, batchSize: 32, seed: 3 };
  const result = await train({ ...options, learningRate: 0.01, schedule: 'constant', augment: false });
  const { accuracy } = evaluate(result.model, sliceSplit(data.test, 0, 1000));
  console.log(JSON.stringify({ validatesSimd, info, accuracy }));
  result.model.dispose();
}
