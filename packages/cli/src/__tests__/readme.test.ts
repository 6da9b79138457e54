import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCliReference } from '../reference.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('carries the reference generated from the current command table (run `pnpm readme` to refresh)', () => {
    const start = '<!-- cli-reference:start -->\n';
    const section = readme.slice(readme.indexOf(start) + start.length, readme.indexOf('<!-- cli-reference:end -->'));
    expect(section).toBe(renderCliReference({ headingLevel: 3 }));
  });
});
