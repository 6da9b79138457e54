import { describe, expect, it } from 'vitest';
import { commandDefinitions, trainDefinition } from '../definitions.js';
import { UsageError } from '../errors.js';
import { flagName } from '../option-types.js';
import { parseCommandLine, validateOptions } from '../parse-args.js';

function usageMessage(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as UsageError).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('fills in every static default of train and leaves recipe settings unset', () => {
    const parsed = parseCommandLine(['train']);
    expect(parsed.kind).toBe('run');
    if (parsed.kind !== 'run') return;
    expect(parsed.values).toMatchObject({
      backend: 'auto',
      epochs: undefined,
      batchSize: undefined,
      out: './mnist-model',
      dataset: 'mnist',
      augment: undefined,
      json: false,
      lr: undefined,
      schedule: undefined,
      limit: undefined,
    });
  });

  it('converts kebab-case flags, numbers and switches', () => {
    const parsed = parseCommandLine([
      'train',
      '--batch-size',
      '32',
      '--lr',
      '0.01',
      '--validation-split=0.1',
      '--augment',
      '--out',
      'x y',
    ]);
    if (parsed.kind !== 'run') throw new Error('expected run');
    expect(parsed.values).toMatchObject({ batchSize: 32, lr: 0.01, validationSplit: 0.1, augment: true, out: 'x y' });
  });

  it('turns a recipe switch off with --no-<flag>, and reads values after --', () => {
    const off = parseCommandLine(['train', '--no-augment']);
    if (off.kind !== 'run') throw new Error('expected run');
    expect(off.values.augment).toBe(false);
    const files = parseCommandLine(['predict', '--top', '2', '--', '--odd-name.png']);
    if (files.kind !== 'run') throw new Error('expected run');
    expect(files.positionals).toEqual(['--odd-name.png']);
  });

  it('suggests the nearest command or option for a typo', () => {
    const hint = (argv: string[]): string | undefined => {
      try {
        parseCommandLine(argv);
      } catch (error) {
        return (error as UsageError).hint;
      }
      throw new Error(`expected a usage error for ${argv.join(' ')}`);
    };
    expect(hint(['trian'])).toBe("did you mean 'train'?");
    expect(hint(['evalute'])).toBe("did you mean 'evaluate'?");
    expect(hint(['help', 'sho'])).toBe("did you mean 'show'?");
    expect(hint(['train', '--epoch', '3'])).toBe("did you mean '--epochs'?");
    expect(hint(['train', '--batch', '3'])).toBe("did you mean '--batch-size'?");
    expect(hint(['--verbos'])).toBe("did you mean '--verbose'?");
    expect(hint(['fly'])).toMatch(/^commands: train, evaluate/);
  });

  it('takes the last of a repeated flag', () => {
    const parsed = parseCommandLine(['train', '--epochs', '2', '--epochs', '3']);
    if (parsed.kind !== 'run') throw new Error('expected run');
    expect(parsed.values.epochs).toBe(3);
  });

  it('collects predict files as positionals', () => {
    const parsed = parseCommandLine(['predict', 'a.png', 'b.jpg', '--top', '5']);
    if (parsed.kind !== 'run') throw new Error('expected run');
    expect(parsed.positionals).toEqual(['a.png', 'b.jpg']);
    expect(parsed.values.top).toBe(5);
  });

  it('reports help and version', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'help', command: undefined });
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help', command: undefined });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
    expect(parseCommandLine(['evaluate', '--help'])).toMatchObject({ kind: 'help', command: { name: 'evaluate' } });
    expect(parseCommandLine(['help'])).toEqual({ kind: 'help', command: undefined });
    expect(parseCommandLine(['help', 'predict'])).toMatchObject({ kind: 'help', command: { name: 'predict' } });
  });

  it.each([
    [['fly'], "unknown command 'fly'"],
    [['train', '--epochs', '0'], '--epochs must be >= 1, got 0'],
    [['train', '--epochs', '1.5'], "invalid value '1.5' for --epochs: expected an integer"],
    [['train', '--epochs', 'many'], "invalid value 'many' for --epochs: expected an integer"],
    [['train', '--backend', 'gpu'], "invalid value 'gpu' for --backend"],
    [['train', '--frobnicate'], "unknown option '--frobnicate'"],
    [['train', '--epochs'], "option '--epochs' needs a value"],
    [['train', '--lr', '0'], '--lr must be > 0, got 0'],
    [['train', '--lr', '-1'], '--lr must be > 0, got -1'],
    [['train', '--lr=-1'], '--lr must be > 0, got -1'],
    [['show', '--index', '-3'], '--index must be >= 0, got -3'],
    [['train', '--validation-split', '1'], '--validation-split must be < 1, got 1'],
    [['train', '--augment=yes'], "option '--augment' takes no value"],
    [['train', '--no-json'], "unknown option '--no-json'"],
    [['train', 'extra'], "unexpected argument 'extra' for 'train'"],
    [['predict'], "'predict' needs at least one <files> argument"],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ])('rejects %j', (argv, message) => {
    expect(usageMessage(argv)).toContain(message);
  });
});

describe('the command table', () => {
  it('gives every option a description and a flag that round-trips between camelCase and kebab-case', () => {
    for (const command of commandDefinitions) {
      for (const [key, option] of Object.entries(command.options)) {
        expect(option.description.length, `${command.name} --${flagName(key)}`).toBeGreaterThan(5);
        const camel = flagName(key).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
        expect(camel).toBe(key);
      }
    }
  });

  it('accepts each default value as a valid given value', () => {
    const raw: Record<string, unknown> = {};
    for (const [key, option] of Object.entries(trainDefinition.options)) {
      if (option.kind !== 'boolean' && 'default' in option && option.default !== undefined)
        raw[key] = String(option.default);
    }
    const values = validateOptions(trainDefinition, raw);
    expect(values.testBatchSize).toBe(trainDefinition.options.testBatchSize.default);
    expect(values.validationSplit).toBe(0);
  });
});

describe('the preset list', () => {
  it('matches the presets @mnist-cnn/cnn-model ships', async () => {
    const { presets } = await import('@mnist-cnn/cnn-model');
    const { presetNames } = await import('../definitions.js');
    expect([...presetNames].sort()).toEqual(Object.keys(presets).sort());
  });
});
