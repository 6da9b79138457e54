/**
 * The shapes of the command table. Every command's options are declared once, as data; argv parsing, validation,
 * `--help` and the Markdown CLI reference are all derived from these declarations.
 */

interface OptionBase {
  /** One sentence for `--help` and the reference. */
  readonly description: string;
  /** Placeholder shown after the flag (`--epochs <n>`); boolean options have none. */
  readonly valueName?: string;
  /** A default that depends on other options (`the preset's recipe`); the command fills it in when the value is unset. */
  readonly defaultNote?: string;
}

/** A switch that is off unless given; with `defaultNote` it is unset unless given, and `--no-<flag>` turns it off. */
export interface BooleanOption extends OptionBase {
  readonly kind: 'boolean';
}

/** A whole number, optionally bounded. */
export interface IntegerOption extends OptionBase {
  readonly kind: 'integer';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
}

/** A finite decimal number; `min`/`max` are inclusive unless the matching `exclusive*` flag is set. */
export interface NumberOption extends OptionBase {
  readonly kind: 'number';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  readonly exclusiveMin?: boolean;
  readonly exclusiveMax?: boolean;
}

/** Free text such as a path. */
export interface StringOption extends OptionBase {
  readonly kind: 'string';
  readonly default?: string;
}

/** One of a fixed list of words. */
export interface ChoiceOption extends OptionBase {
  readonly kind: 'choice';
  readonly choices: readonly string[];
  readonly default?: string;
}

/** Any one option declaration. */
export type OptionDefinition = BooleanOption | IntegerOption | NumberOption | StringOption | ChoiceOption;

/** Options keyed by their camelCase name; the flag is the kebab-case form (`batchSize` → `--batch-size`). */
export type OptionTable = Readonly<Record<string, OptionDefinition>>;

/** A positional argument. */
export interface ArgumentDefinition {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  readonly variadic: boolean;
}

/** A command: its name, what it does, its positionals, options and examples. */
export interface CommandDefinition {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** A paragraph for the command's own help and reference section. */
  readonly description: string;
  readonly args: readonly ArgumentDefinition[];
  readonly options: OptionTable;
  readonly examples: readonly string[];
}

type ValueOf<O extends OptionDefinition> = O extends BooleanOption
  ? boolean
  : O extends IntegerOption | NumberOption
    ? number
    : O extends { readonly kind: 'choice'; readonly choices: readonly (infer C)[] }
      ? C
      : string;

/** The parsed, validated values of an option table: options with a default (and switches) are never undefined. */
export type OptionValues<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K] extends { readonly defaultNote: string }
    ? ValueOf<T[K]> | undefined
    : T[K] extends BooleanOption
      ? boolean
      : T[K] extends { readonly default: unknown }
        ? ValueOf<T[K]>
        : ValueOf<T[K]> | undefined;
};

/** Converts a camelCase option key to its flag without dashes (`batchSize` → `batch-size`). */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** The flag with its value placeholder, as help shows it (`--batch-size <n>`). */
export function flagSignature(key: string, option: OptionDefinition): string {
  const flag = `--${flagName(key)}`;
  if (option.kind === 'boolean') return option.defaultNote === undefined ? flag : `${flag}, --no-${flagName(key)}`;
  const placeholder = option.valueName ?? (option.kind === 'choice' ? option.choices.join('|') : 'value');
  return `${flag} <${placeholder}>`;
}

/** The accepted values and default of an option, in words (`wasm, cpu or auto; default auto`). */
export function describeConstraint(option: OptionDefinition): string {
  const parts: string[] = [];
  if (option.kind === 'choice') parts.push(`one of ${option.choices.join(', ')}`);
  if (option.kind === 'integer' || option.kind === 'number') {
    const range = describeRange(option);
    if (range) parts.push(range);
  }
  if (option.defaultNote !== undefined) parts.push(`default: ${option.defaultNote}`);
  else if (option.kind !== 'boolean' && option.default !== undefined) parts.push(`default ${String(option.default)}`);
  return parts.join('; ');
}

function describeRange(option: IntegerOption | NumberOption): string {
  const exclusiveMin = option.kind === 'number' && option.exclusiveMin === true;
  const exclusiveMax = option.kind === 'number' && option.exclusiveMax === true;
  const lower = option.min === undefined ? '' : `${exclusiveMin ? '>' : '≥'} ${option.min}`;
  const upper = option.max === undefined ? '' : `${exclusiveMax ? '<' : '≤'} ${option.max}`;
  const kind = option.kind === 'integer' ? 'integer' : 'number';
  if (!lower && !upper) return option.kind === 'integer' ? 'integer' : '';
  return `${kind} ${[lower, upper].filter(Boolean).join(' and ')}`;
}
