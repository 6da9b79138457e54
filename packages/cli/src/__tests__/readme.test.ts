import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commandDefinitions } from '../definitions.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('lists every command with the summary its definition gives (the full reference is on the docs site)', () => {
    for (const definition of commandDefinitions)
      expect(readme).toContain(`| \`${definition.name}\` | ${definition.summary} |`);
  });
});
