import { formatDuration, formatPercent } from './format.js';
import { type CliIo, colorEnabled } from './io.js';
import { createStyle, type Style } from './style.js';
import { printableLine } from './terminal-text.js';

/** How results are shown: a live terminal, plain lines (pipes, CI logs) or JSON lines. */
export type OutputMode = 'tty' | 'plain' | 'json';

/** A machine-readable result; `type` says what it is (`epoch`, `summary`, `prediction`…). */
export type JsonRecord = { readonly type: string } & Record<string, unknown>;

/** Where a training run is inside the current epoch. */
export interface ProgressState {
  readonly epoch: number;
  readonly epochs: number;
  readonly batch: number;
  readonly batches: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly imagesPerSecond: number;
  readonly etaSeconds: number;
}

/**
 * Everything a command shows goes through a renderer, so the same command prints a progress bar on a terminal, plain
 * lines in a log, or JSON lines — and tests can swap in their own.
 */
export interface Renderer {
  readonly mode: OutputMode;
  readonly style: Style;
  /** Human-readable lines on stdout; dropped in JSON mode. */
  text(...lines: string[]): void;
  /** A result: printed as one JSON line in JSON mode, else as the `human` lines (if any). */
  record(record: JsonRecord, human?: readonly string[]): void;
  /** Live progress inside an epoch; off a terminal, a line every `logInterval` batches (default about 10 per epoch). */
  progress(state: ProgressState, logInterval?: number): void;
  /** Ends the live progress line, if one is showing. */
  endProgress(): void;
  /** A warning on stderr, in every mode. */
  warn(message: string): void;
}

/** Picks the output mode: JSON when asked, a live terminal when stdout is one, plain lines otherwise. */
export function chooseOutputMode(io: CliIo, json: boolean): OutputMode {
  if (json) return 'json';
  return io.stdout.isTTY === true ? 'tty' : 'plain';
}

/** The renderer for `mode`, writing to `io`. */
export function createRenderer(mode: OutputMode, io: CliIo): Renderer {
  const style = createStyle(mode !== 'json' && colorEnabled(io.stdout, io.env));
  const warnStyle = createStyle(colorEnabled(io.stderr, io.env));
  let liveLine = false;
  const clearLive = (): void => {
    if (liveLine) io.stdout.write('\r\u001b[2K');
    liveLine = false;
  };
  const writeLines = (lines: readonly string[]): void => {
    clearLive();
    for (const line of lines) io.stdout.write(`${printableLine(line)}\n`);
  };
  return {
    mode,
    style,
    text: (...lines) => {
      if (mode !== 'json') writeLines(lines);
    },
    record: (record, human = []) => {
      if (mode === 'json') io.stdout.write(`${JSON.stringify(record)}\n`);
      else writeLines(human);
    },
    progress: (state, logInterval) => {
      if (mode === 'tty') {
        io.stdout.write(`\r\u001b[2K${progressBar(state, io.stdout.columns ?? 80, style)}`);
        liveLine = true;
      } else if (mode === 'plain' && shouldPrintPlain(state, logInterval)) {
        io.stdout.write(`${progressLine(state)}\n`);
      }
    },
    endProgress: clearLive,
    warn: (message) => {
      clearLive();
      io.stderr.write(`${warnStyle.yellow('warning:')} ${printableLine(message)}\n`);
    },
  };
}

function shouldPrintPlain(state: ProgressState, logInterval: number | undefined): boolean {
  // By default about ten lines per epoch in a log, whatever the batch count.
  const every = logInterval ?? Math.max(1, Math.ceil(state.batches / 10));
  return state.batch % every === 0 && state.batch !== state.batches;
}

function progressStats(state: ProgressState): string {
  return [
    `loss ${state.loss.toFixed(4)}`,
    `acc ${formatPercent(state.accuracy, 1)}`,
    `${Math.round(state.imagesPerSecond)} img/s`,
    `ETA ${formatDuration(state.etaSeconds)}`,
  ].join('  ');
}

/** One plain progress line: `epoch 1/3 batch 94/938 loss 0.4121 acc 87.5% 1520 img/s ETA 52s`. */
export function progressLine(state: ProgressState): string {
  return `epoch ${state.epoch}/${state.epochs}  batch ${state.batch}/${state.batches}  ${progressStats(state)}`;
}

/** A terminal progress bar that fits in `columns`. */
export function progressBar(state: ProgressState, columns: number, style: Style): string {
  const head = `epoch ${state.epoch}/${state.epochs}`;
  const counter = `${state.batch}/${state.batches}`;
  const stats = progressStats(state);
  const barWidth = Math.max(10, Math.min(40, columns - head.length - counter.length - stats.length - 6));
  const filled = Math.round((barWidth * state.batch) / Math.max(1, state.batches));
  const bar = style.cyan('█'.repeat(filled)) + style.dim('░'.repeat(barWidth - filled));
  return `${style.bold(head)} ${bar} ${counter}  ${stats}`;
}
