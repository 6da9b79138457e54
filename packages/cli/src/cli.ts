import { createRequire } from 'node:module';
import type {
  benchDefinition,
  evaluateDefinition,
  infoDefinition,
  predictDefinition,
  showDefinition,
  trainDefinition,
} from './definitions.js';
import { reportError } from './error-report.js';
import { ExitCode } from './errors.js';
import { helpWidth, renderCommandHelp, renderRootHelp } from './help.js';
import { type CliIo, processIo } from './io.js';
import type { OptionValues } from './option-types.js';
import { parseCommandLine } from './parse-args.js';
import { chooseOutputMode, createRenderer, type OutputMode, type Renderer } from './renderer.js';

/**
 * Lets `train` take over Ctrl-C, SIGTERM and SIGHUP: while `graceful` is true, the first of them aborts `signal` (its
 * reason the signal's name) instead of exiting.
 */
export interface InterruptControl {
  readonly signal: AbortSignal;
  graceful: boolean;
}

/** What every command receives besides its options. */
export interface CommandContext {
  readonly io: CliIo;
  readonly renderer: Renderer;
  readonly interrupt: InterruptControl;
  readonly verbose: boolean;
  readonly positionals: readonly string[];
  /** The command line as given (without node and the script), for messages such as how to resume. */
  readonly argv: readonly string[];
}

/** Options for running the CLI in-process (tests, embedding); the binary passes the real process. */
export interface RunCliOptions {
  io?: CliIo;
  interrupt?: InterruptControl;
  /** Replaces the renderer, for example to capture what a command shows. */
  createRenderer?: (mode: OutputMode, io: CliIo) => Renderer;
}

/** The CLI's version, from its package.json. */
export function cliVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

/** Runs `mnist-cnn` with `argv` (without node and the script) and resolves to the exit code; never throws. */
export async function runCli(argv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const io = options.io ?? processIo();
  const verbose = argv.includes('--verbose');
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'version') {
      io.stdout.write(`${cliVersion()}\n`);
      return ExitCode.ok;
    }
    if (parsed.kind === 'help') {
      const width = helpWidth(io.stdout);
      io.stdout.write(parsed.command ? renderCommandHelp(parsed.command, width) : renderRootHelp(cliVersion(), width));
      return ExitCode.ok;
    }
    const json = parsed.values.json === true;
    const mode = chooseOutputMode(io, json);
    const renderer = (options.createRenderer ?? createRenderer)(mode, io);
    const context: CommandContext = {
      io,
      renderer,
      interrupt: options.interrupt ?? { signal: new AbortController().signal, graceful: false },
      verbose: parsed.verbose,
      positionals: parsed.positionals,
      argv,
    };
    try {
      return await dispatch(parsed.command.name, parsed.values, context);
    } finally {
      renderer.endProgress();
    }
  } catch (error) {
    return reportError(error, io, verbose);
  }
}

async function dispatch(name: string, values: Record<string, unknown>, context: CommandContext): Promise<number> {
  // Commands load lazily so that `--help` and usage errors never pay for starting TensorFlow.js.
  switch (name) {
    case 'train':
      return (await import('./train.js')).runTrain(values as OptionValues<typeof trainDefinition.options>, context);
    case 'evaluate':
      return (await import('./evaluate.js')).runEvaluate(
        values as OptionValues<typeof evaluateDefinition.options>,
        context,
      );
    case 'predict':
      return (await import('./predict.js')).runPredict(
        values as OptionValues<typeof predictDefinition.options>,
        context,
      );
    case 'info':
      return (await import('./info.js')).runInfo(values as OptionValues<typeof infoDefinition.options>, context);
    case 'show':
      return (await import('./show.js')).runShow(values as OptionValues<typeof showDefinition.options>, context);
    case 'bench':
      return (await import('./bench.js')).runBench(values as OptionValues<typeof benchDefinition.options>, context);
    default:
      throw new Error(`no runner for command '${name}'`);
  }
}
