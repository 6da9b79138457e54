import { cac } from 'cac';
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

/** Parses argv (without `node` and the script) against the command table; throws `UsageError` on any mistake. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const verbose = argv.includes('--verbose');
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  const first = argv.find((arg) => !arg.startsWith('-'));
  const command = commandDefinitions.find((definition) => definition.name === first);

  if (argv.includes('--version') || argv.includes('-v')) {
    if (command === undefined) return { kind: 'version' };
  }
  if (command === undefined) {
    if (first !== undefined) {
      throw new UsageError(
        `unknown command '${first}'`,
        `commands: ${commandDefinitions.map((c) => c.name).join(', ')}`,
      );
    }
    if (wantsHelp || argv.length === 0) return { kind: 'help', command: undefined };
    throw new UsageError(`unknown option '${argv[0]}'`, `run '${programName} --help' for usage`);
  }
  if (wantsHelp) return { kind: 'help', command };

  const raw = runCac(command, argv);
  try {
    const values = validateOptions(command, raw.options);
    checkPositionals(command, raw.args);
    return { kind: 'run', command, values, positionals: raw.args, verbose };
  } catch (error) {
    if (error instanceof UsageError && error.hint === undefined) {
      throw new UsageError(error.message, `run '${programName} ${command.name} --help' for usage`);
    }
    throw error;
  }
}

function runCac(
  command: CommandDefinition,
  argv: readonly string[],
): { args: string[]; options: Record<string, unknown> } {
  const program = cac(programName);
  for (const [key, option] of Object.entries(globalOptions))
    program.option(cacRawName(key, option), option.description);
  program.option('-h, --help', globalOptions.help.description);
  const registered = program.command(command.name, command.summary);
  for (const [key, option] of Object.entries(command.options))
    registered.option(cacRawName(key, option), option.description);
  let captured: { args: string[]; options: Record<string, unknown> } | undefined;
  registered.action(() => {
    captured = { args: program.args.map(String), options: program.options as Record<string, unknown> };
  });
  try {
    program.parse(['node', programName, ...argv], { run: false });
    program.runMatchedCommand();
  } catch (error) {
    throw new UsageError(cacMessage(error), `run '${programName} ${command.name} --help' for usage`);
  }
  if (captured === undefined) throw new UsageError(`could not parse the '${command.name}' command line`);
  return captured;
}

function cacRawName(key: string, option: OptionDefinition): string {
  // Every value option is declared with a required value so that `--epochs` alone is a usage error.
  return option.kind === 'boolean' ? `--${flagName(key)}` : `--${flagName(key)} <value>`;
}

function cacMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option `(.+)`$/.exec(text);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const missing = /^option `--([\w-]+) <value>` value is missing$/.exec(text);
  if (missing) return `option '--${missing[1]}' needs a value`;
  return text.replace(/`/g, "'");
}

/** Converts cac's loose values into typed ones, applying defaults; throws `UsageError` for bad values. */
export function validateOptions<T extends OptionTable>(
  command: { name: string; options: T },
  raw: Record<string, unknown>,
): OptionValues<T> {
  const values: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(command.options)) {
    const given = lastValue(raw[key]);
    values[key] = given === undefined ? defaultValue(option) : convert(key, option, given);
  }
  return values as OptionValues<T>;
}

function lastValue(value: unknown): unknown {
  // A repeated flag (`--epochs 1 --epochs 2`) arrives as an array; the last one wins, as in most CLIs.
  return Array.isArray(value) ? value[value.length - 1] : value;
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
    throw new UsageError(
      `invalid value '${text}' for ${flag}: must be ${exclusiveMin ? 'greater than' : 'at least'} ${option.min}`,
    );
  }
  if (option.max !== undefined && (exclusiveMax ? value >= option.max : value > option.max)) {
    throw new UsageError(
      `invalid value '${text}' for ${flag}: must be ${exclusiveMax ? 'less than' : 'at most'} ${option.max}`,
    );
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
