import { ExitCode } from './errors.js';

/** What each exit status means, for help, the README and the generated reference. */
export const exitCodeRows: readonly { code: number; meaning: string }[] = [
  { code: ExitCode.ok, meaning: 'Success.' },
  {
    code: ExitCode.runtime,
    meaning: 'Runtime failure: missing or corrupt data or model file, unreadable image, training failed.',
  },
  {
    code: ExitCode.usage,
    meaning:
      'Usage error: unknown command or option, missing argument, invalid value (e.g. --epochs 0, --backend gpu).',
  },
  { code: ExitCode.hangup, meaning: 'Hung up (SIGHUP); train writes a checkpoint first, as for Ctrl-C.' },
  {
    code: ExitCode.interrupted,
    meaning: 'Interrupted (Ctrl-C); train writes a checkpoint first and says how to resume.',
  },
  { code: ExitCode.terminated, meaning: 'Terminated (SIGTERM); train writes a checkpoint first, as for Ctrl-C.' },
];
