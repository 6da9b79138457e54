// A stand-in training worker that says it is ready, then dies on its first step, as a crashed thread would.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', () => process.exit(3));
parentPort.postMessage({ type: 'ready' });
