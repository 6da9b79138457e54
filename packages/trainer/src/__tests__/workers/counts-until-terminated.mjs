// A stand-in worker that counts in shared memory until it is terminated, so a test can see whether it still runs.
import { workerData } from 'node:worker_threads';

const count = new Int32Array(workerData.count);
setInterval(() => Atomics.add(count, 0, 1), 2);
