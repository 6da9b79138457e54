#!/usr/bin/env node
import { type InterruptControl, runCli } from './cli.js';
import { ExitCode, signalExitCode } from './errors.js';

const controller = new AbortController();
const interrupt: InterruptControl = { signal: controller.signal, graceful: false };

// Ctrl-C, `kill` and a closed terminal all end a run the same way: a graceful stop during training (a checkpoint, then
// the signal's exit status), an immediate exit otherwise.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (interrupt.graceful && !controller.signal.aborted) {
      controller.abort(signal);
      return;
    }
    process.stderr.write(`\nmnist-cnn: ${signal === 'SIGINT' ? 'interrupted' : `stopped by ${signal}`}\n`);
    process.exit(signalExitCode(signal));
  });
}

// A reader that stops early (`mnist-cnn show | head`) closes the pipe; that ends the command quietly, as it does for
// other Unix tools, instead of an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(ExitCode.ok);
  });
}

process.exitCode = await runCli(process.argv.slice(2), { interrupt });
