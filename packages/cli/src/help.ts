import { commandDefinitions, globalOptions, programName } from './definitions.js';
import { type CommandDefinition, describeConstraint, flagSignature, type OptionTable } from './option-types.js';
import { usageArgs } from './parse-args.js';

/** Width help wraps to when stdout is not a terminal (a pipe, a file, a test). */
export const defaultHelpWidth = 80;

/**
 * Help's line width: the terminal's, else 80. Wider terminals still get at most 100 columns (as clap does), because
 * longer lines of prose are hard to read; very narrow ones get 40, below which nothing reads well anyway.
 */
export function helpWidth(stdout: { isTTY?: boolean | undefined; columns?: number | undefined }): number {
  const columns = stdout.isTTY === true && stdout.columns !== undefined && stdout.columns > 0 ? stdout.columns : 0;
  return columns === 0 ? defaultHelpWidth : Math.min(100, Math.max(40, columns));
}

/** The text `mnist-cnn --help` prints, wrapped to `width` columns. */
export function renderRootHelp(version: string, width = defaultHelpWidth): string {
  const lines = [
    ...wrap(`${programName} ${version}: train, evaluate and run MNIST convolutional networks`, width),
    '',
    'Usage:',
    `  ${programName} <command> [options]`,
    '',
    'Commands:',
    ...twoColumns(
      commandDefinitions.map((command) => [command.name, command.summary]),
      width,
    ),
    '',
    'Options:',
    ...optionLines({ ...globalOptions, version: { kind: 'boolean', description: 'Print the version.' } }, width),
    '',
    ...wrap(`Run '${programName} help <command>' or '${programName} <command> --help' for a command's options.`, width),
  ];
  return `${lines.join('\n')}\n`;
}

/** The text `mnist-cnn <command> --help` prints, wrapped to `width` columns. */
export function renderCommandHelp(command: CommandDefinition, width = defaultHelpWidth): string {
  const lines = [
    ...wrap(`${programName} ${command.name}: ${command.summary}`, width),
    '',
    'Usage:',
    `  ${[programName, command.name, usageArgs(command), '[options]'].filter(Boolean).join(' ')}`,
    '',
    ...wrap(command.description, width),
    '',
  ];
  if (command.args.length > 0) {
    lines.push(
      'Arguments:',
      ...twoColumns(
        command.args.map((arg) => [arg.name, arg.description]),
        width,
      ),
      '',
    );
  }
  lines.push('Options:', ...optionLines({ ...command.options, ...globalOptions }, width), '');
  lines.push('Examples:', ...command.examples.flatMap((example) => exampleLines(example, width)));
  return `${lines.join('\n')}\n`;
}

function optionLines(options: OptionTable, width: number): string[] {
  return twoColumns(
    Object.entries(options).map(([key, option]) => {
      const constraint = describeConstraint(option);
      return [flagSignature(key, option), constraint ? `${option.description} (${constraint})` : option.description];
    }),
    width,
  );
}

/**
 * `  term  text` rows with the text wrapped in its own column. A term too long for the column, or a window too narrow
 * for two columns, puts its text on the lines below, indented.
 */
function twoColumns(rows: readonly (readonly [string, string])[], width: number): string[] {
  const indent = 2;
  const gap = 2;
  const widest = Math.max(...rows.map(([term]) => term.length));
  const column = Math.min(widest, 30);
  const side = width - indent - column - gap >= 30;
  const textIndent = side ? indent + column + gap : indent + 4;
  const lines: string[] = [];
  for (const [term, text] of rows) {
    const wrapped = wrap(text, width - textIndent);
    if (side && term.length <= column) {
      lines.push(`${' '.repeat(indent)}${term.padEnd(column)}${' '.repeat(gap)}${wrapped[0] ?? ''}`);
      wrapped.shift();
    } else {
      lines.push(`${' '.repeat(indent)}${term}`);
    }
    lines.push(...wrapped.map((line) => `${' '.repeat(textIndent)}${line}`));
  }
  return lines;
}

/** `  $ mnist-cnn …`, continued with ` \` on further lines when it does not fit. */
function exampleLines(example: string, width: number): string[] {
  const lines = wrap(example, width - 8);
  return lines.map((line, i) => `${i === 0 ? '  $ ' : '      '}${line}${i < lines.length - 1 ? ' \\' : ''}`);
}

/** Breaks `text` between words into lines of at most `width` characters (a longer single word keeps its own line). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
