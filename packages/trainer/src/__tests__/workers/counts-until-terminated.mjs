// A stand-in worker that counts in shared memory until it is terminated, so a test can see whether it still runs. Like
// the real worker, it gets its setup (where to count) as its first message.
import { parentPort } from 'node:worker_threads';

parentPort.once('message', (setup) => {
  const count = new Int32Array(setup.count);
  setInterval(() => Atomics.add(count, 0, 1), 2);
});
