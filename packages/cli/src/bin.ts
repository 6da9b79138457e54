#!/usr/bin/env node
import { type InterruptControl, runCli } from './cli.js';
import { ExitCode } from './errors.js';

const controller = new AbortController();
const interrupt: InterruptControl = { signal: controller.signal, graceful: false };

process.on('SIGINT', () => {
  // The first Ctrl-C during training asks the trainer to checkpoint and stop; anything else ends the process now.
  if (interrupt.graceful && !controller.signal.aborted) {
    controller.abort();
    return;
  }
  process.stderr.write('\nmnist-cnn: interrupted\n');
  process.exit(ExitCode.interrupted);
});

// A reader that stops early (`mnist-cnn show | head`) closes the pipe; that ends the command quietly, as it does for
// other Unix tools, instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(ExitCode.ok);
  });
}

process.exitCode = await runCli(process.argv.slice(2), { interrupt });
