// A stand-in inference worker that takes its setup, then claims a batch of each request and never finishes it, as a
// thread stuck in a long batch would.
import { parentPort } from 'node:worker_threads';

parentPort.once('message', () => {
  parentPort.on('message', (request) => Atomics.add(new Int32Array(request.progress), 0, 1));
  parentPort.postMessage({ type: 'ready' });
});
