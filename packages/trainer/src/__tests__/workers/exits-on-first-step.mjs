// A stand-in training worker that takes its setup, says it is ready, then dies on its first step, as a crashed thread
// would.
import { parentPort } from 'node:worker_threads';

parentPort.once('message', () => {
  parentPort.on('message', () => process.exit(3));
  parentPort.postMessage({ type: 'ready' });
});
