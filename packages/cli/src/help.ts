import { commandDefinitions, globalOptions, programName } from './definitions.js';
import { type CommandDefinition, describeConstraint, flagSignature, type OptionTable } from './option-types.js';
import { usageArgs } from './parse-args.js';

/** The text `mnist-cnn --help` prints. */
export function renderRootHelp(version: string): string {
  const width = Math.max(...commandDefinitions.map((command) => command.name.length));
  const lines = [
    `${programName} ${version}: train, evaluate and run MNIST convolutional networks`,
    '',
    'Usage:',
    `  ${programName} <command> [options]`,
    '',
    'Commands:',
    ...commandDefinitions.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Options:',
    ...optionLines({ ...globalOptions, version: { kind: 'boolean', description: 'Print the version.' } }),
    '',
    `Run '${programName} <command> --help' for a command's options.`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The text `mnist-cnn <command> --help` prints. */
export function renderCommandHelp(command: CommandDefinition): string {
  const lines = [
    `${programName} ${command.name}: ${command.summary}`,
    '',
    'Usage:',
    `  ${[programName, command.name, usageArgs(command), '[options]'].filter(Boolean).join(' ')}`,
    '',
    ...wrap(command.description, 78).map((line) => `${line}`),
    '',
  ];
  if (command.args.length > 0) {
    lines.push('Arguments:');
    for (const arg of command.args) lines.push(`  ${arg.name.padEnd(24)}  ${arg.description}`);
    lines.push('');
  }
  lines.push('Options:', ...optionLines(command.options), ...optionLines(globalOptions), '');
  lines.push('Examples:', ...command.examples.map((example) => `  $ ${example}`));
  return `${lines.join('\n')}\n`;
}

function optionLines(options: OptionTable): string[] {
  const entries = Object.entries(options).map(([key, option]) => {
    const constraint = describeConstraint(option);
    return {
      signature: flagSignature(key, option),
      text: constraint ? `${option.description} (${constraint})` : option.description,
    };
  });
  const width = Math.max(...entries.map((entry) => entry.signature.length), 24);
  return entries.map((entry) => `  ${entry.signature.padEnd(width)}  ${entry.text}`);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
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
