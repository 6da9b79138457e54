import { parseArgs } from 'node:util';
import { commandDefinitions, globalOptions, programName } from './definitions.js';
import { UsageError } from './errors.js';
import {
  type CommandDefinition,
  flagName,
  flagSignature,
  type OptionDefinition,
  type OptionTable,
  type OptionValues,
} from './option-types.js';
import { nearestName } from './suggest.js';

/** What argv asked for: a command with validated values, help, or the version. */
export type ParsedCommandLine =
  | { kind: 'help'; command: CommandDefinition | undefined }
  | { kind: 'version' }
  | {
      kind: 'run';
      command: CommandDefinition;
      values: Record<string, unknown>;
      positionals: string[];
      verbose: boolean;
    };

/** The word that asks for help on a command (`mnist-cnn help train`), listed with the commands in suggestions. */
const helpCommand = 'help';

/** Parses argv (without `node` and the script) against the command table; throws `UsageError` on any mistake. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const commandIndex = argv.findIndex((arg) => !arg.startsWith('-'));
  const word = argv[commandIndex];
  if (word === undefined) {
    if (argv.includes('--version') || argv.includes('-v')) return { kind: 'version' };
    if (wantsHelp || argv.length === 0) return { kind: 'help', command: undefined };
    const flag = argv[0]!;
    const known = ['--help', '--version', ...Object.keys(globalOptions).map((key) => `--${flagName(key)}`)];
    throw new UsageError(
      `unknown option '${flag}'`,
      didYouMean(flag, known) ?? `run '${programName} --help' for usage`,
    );
  }
  if (word === helpCommand) {
    const topic = argv[commandIndex + 1];
    return { kind: 'help', command: topic === undefined ? undefined : findCommand(topic) };
  }
  const command = findCommand(word);
  if (wantsHelp) return { kind: 'help', command };
  try {
    const raw = readTokens(command, [...argv.slice(0, commandIndex), ...argv.slice(commandIndex + 1)]);
    const values = validateOptions(command, raw.options);
    checkPositionals(command, raw.positionals);
    return { kind: 'run', command, values, positionals: raw.positionals, verbose: raw.options.verbose === true };
  } catch (error) {
    if (error instanceof UsageError && error.hint === undefined) {
      throw new UsageError(error.message, `run '${programName} ${command.name} --help' for usage`);
    }
    throw error;
  }
}

function findCommand(name: string): CommandDefinition {
  const command = commandDefinitions.find((definition) => definition.name === name);
  if (command) return command;
  const names = commandDefinitions.map((definition) => definition.name);
  throw new UsageError(
    `unknown command '${name}'`,
    didYouMean(name, [...names, helpCommand]) ?? `commands: ${names.join(', ')}`,
  );
}

function didYouMean(typed: string, candidates: readonly string[]): string | undefined {
  const nearest = nearestName(typed, candidates);
  return nearest === undefined ? undefined : `did you mean '${nearest}'?`;
}

/**
 * Splits argv into options and positionals with node's `parseArgs`. It runs non-strict so that a value option takes
 * the next argument whatever it looks like (`--lr -1` reaches --lr's range check), and so that unknown flags come back
 * as tokens we can answer with the nearest known one.
 */
function readTokens(
  command: CommandDefinition,
  args: readonly string[],
): { options: Record<string, unknown>; positionals: string[] } {
  const table: OptionTable = { ...globalOptions, ...command.options };
  const byFlag = new Map(Object.entries(table).map(([key, option]) => [flagName(key), { key, option }]));
  const schema = Object.fromEntries(
    [...byFlag].map(
      ([flag, { option }]) => [flag, { type: option.kind === 'boolean' ? 'boolean' : 'string' }] as const,
    ),
  );
  const { tokens } = parseArgs({
    args: [...args],
    options: schema,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const direct = byFlag.get(token.name);
    const negated = token.name.startsWith('no-') ? byFlag.get(token.name.slice(3)) : undefined;
    if (direct !== undefined) {
      if (direct.option.kind === 'boolean' && token.inlineValue)
        throw new UsageError(`option '${token.rawName}' takes no value`);
      if (direct.option.kind !== 'boolean' && token.value === undefined) {
        throw new UsageError(
          `option '${token.rawName}' needs a value`,
          `usage: ${flagSignature(direct.key, direct.option)}`,
        );
      }
      options[direct.key] = token.value ?? true;
    } else if (negated?.option.kind === 'boolean' && negated.option.defaultNote !== undefined && !token.inlineValue) {
      options[negated.key] = false;
    } else {
      const flags = [...byFlag.keys()].map((flag) => `--${flag}`);
      throw new UsageError(
        `unknown option '${token.rawName}'`,
        didYouMean(`--${token.name}`, flags) ?? `run '${programName} ${command.name} --help' for its options`,
      );
    }
  }
  return { options, positionals };
}

/** Converts the given strings and switches into typed ones, applying defaults; throws `UsageError` for bad values. */
export function validateOptions<T extends OptionTable>(
  command: { name: string; options: T },
  raw: Record<string, unknown>,
): OptionValues<T> {
  const values: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(command.options)) {
    const given = raw[key];
    values[key] = given === undefined ? defaultValue(option) : convert(key, option, given);
  }
  return values as OptionValues<T>;
}

function defaultValue(option: OptionDefinition): unknown {
  if (option.defaultNote !== undefined) return undefined;
  if (option.kind === 'boolean') return false;
  return option.default;
}

function convert(key: string, option: OptionDefinition, given: unknown): unknown {
  const flag = `--${flagName(key)}`;
  if (option.kind === 'boolean') {
    if (typeof given !== 'boolean') throw new UsageError(`option '${flag}' takes no value`);
    return given;
  }
  if (typeof given === 'boolean')
    throw new UsageError(`option '${flag}' needs a value`, `usage: ${flagSignature(key, option)}`);
  const text = String(given);
  switch (option.kind) {
    case 'string':
      if (text === '') throw new UsageError(`option '${flag}' needs a non-empty value`);
      return text;
    case 'choice':
      if (!option.choices.includes(text)) {
        throw new UsageError(`invalid value '${text}' for ${flag}`, `expected one of: ${option.choices.join(', ')}`);
      }
      return text;
    case 'integer':
    case 'number':
      return convertNumber(flag, option, text);
  }
}

function convertNumber(
  flag: string,
  option: Extract<OptionDefinition, { kind: 'integer' | 'number' }>,
  text: string,
): number {
  const value = Number(text);
  const what = option.kind === 'integer' ? 'an integer' : 'a number';
  if (text.trim() === '' || !Number.isFinite(value) || (option.kind === 'integer' && !Number.isInteger(value))) {
    throw new UsageError(`invalid value '${text}' for ${flag}: expected ${what}`);
  }
  const exclusiveMin = option.kind === 'number' && option.exclusiveMin === true;
  const exclusiveMax = option.kind === 'number' && option.exclusiveMax === true;
  if (option.min !== undefined && (exclusiveMin ? value <= option.min : value < option.min)) {
    throw new UsageError(`${flag} must be ${exclusiveMin ? '>' : '>='} ${option.min}, got ${text}`);
  }
  if (option.max !== undefined && (exclusiveMax ? value >= option.max : value > option.max)) {
    throw new UsageError(`${flag} must be ${exclusiveMax ? '<' : '<='} ${option.max}, got ${text}`);
  }
  return value;
}

function checkPositionals(command: CommandDefinition, args: readonly string[]): void {
  const variadic = command.args.some((arg) => arg.variadic);
  const required = command.args.filter((arg) => arg.required);
  if (args.length < required.length) {
    const missing = required[args.length]!;
    throw new UsageError(
      `'${command.name}' needs ${missing.variadic ? 'at least one' : 'a'} <${missing.name}> argument`,
      `usage: ${programName} ${command.name} ${usageArgs(command)}`.trimEnd(),
    );
  }
  if (!variadic && args.length > command.args.length) {
    throw new UsageError(
      `unexpected argument '${args[command.args.length]}' for '${command.name}'`,
      `run '${programName} ${command.name} --help' for usage`,
    );
  }
}

/** The positional part of a usage line (`<files...>`). */
export function usageArgs(command: CommandDefinition): string {
  return command.args
    .map((arg) => {
      const inner = arg.variadic ? `${arg.name}...` : arg.name;
      return arg.required ? `<${inner}>` : `[${inner}]`;
    })
    .join(' ');
}
