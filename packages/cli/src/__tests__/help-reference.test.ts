import { describe, expect, it } from 'vitest';
import { commandDefinitions, globalOptions } from '../definitions.js';
import { exitCodeRows } from '../exit-codes.js';
import { renderCommandHelp, renderRootHelp } from '../help.js';
import { flagSignature } from '../option-types.js';
import { renderCliReference } from '../reference.js';

describe('help and reference generated from the command table', () => {
  it('lists every command in the root help', () => {
    const help = renderRootHelp('1.2.3', 200);
    expect(help).toContain('mnist-cnn 1.2.3');
    for (const command of commandDefinitions)
      expect(help).toMatch(new RegExp(`^  ${command.name} +${command.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
  });

  it.each(commandDefinitions.map((command) => [command.name, command] as const))(
    'shows every option of %s',
    (_, command) => {
      const help = renderCommandHelp(command);
      for (const [key, option] of Object.entries({ ...command.options, ...globalOptions })) {
        expect(help).toContain(flagSignature(key, option));
      }
      expect(help).toContain(`mnist-cnn ${command.name}`);
    },
  );

  it('documents defaults and choices', () => {
    const help = renderCommandHelp(commandDefinitions.find((c) => c.name === 'train')!, 200);
    expect(help).toMatch(/--backend <wasm\|cpu\|auto> +.*one of wasm, cpu, auto; default auto/);
    expect(help).toMatch(/--out <dir> +.*default \.\/mnist-model/);
    expect(help).toMatch(/--epochs <n> +.*integer ≥ 1/);
  });

  it('renders a Markdown reference with a section and a table row per option', () => {
    const reference = renderCliReference();
    for (const command of commandDefinitions) {
      expect(reference).toContain(`## ${command.name}\n`);
      for (const [key, option] of Object.entries(command.options)) {
        expect(reference).toContain(
          `| \`${flagSignature(key, option).replace(/\|/g, '\\|')}\` | ${option.description} |`,
        );
      }
    }
    for (const row of exitCodeRows) expect(reference).toContain(`| ${row.code} | `);
    // Every table row has the same number of cells as its header.
    for (const line of reference.split('\n').filter((l) => l.startsWith('| `--'))) {
      expect(line.replace(/\\\|/g, '').split('|').length).toBe(5);
    }
  });
});
