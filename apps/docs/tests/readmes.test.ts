import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const packagesDir = join(import.meta.dirname, '..', '..', '..', 'packages');
const readmes = readdirSync(packagesDir).map((name) => ({ name, path: join(packagesDir, name, 'README.md') }));

/** Markdown link targets, `[text](target)`, outside code blocks. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

describe.each(readmes)('packages/$name/README.md, as the npm page shows it', ({ name, path }) => {
  const readme = readFileSync(path, 'utf8');

  it('is a short door into the site: at most 600 words', () => {
    expect(readme.split(/\s+/).filter(Boolean).length).toBeLessThanOrEqual(600);
  });

  it('links only to absolute https URLs or to files inside the package', () => {
    const targets = linkTargets(readme);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      if (/^https:\/\//.test(target)) continue;
      expect(target, `${name}: ${target} leaves the package`).not.toMatch(/^(\.\.\/|\/|[a-z]+:)/);
      expect(existsSync(join(packagesDir, name, target.split('#')[0]!)), `${name}: ${target} does not exist`).toBe(
        true,
      );
    }
  });

  it('has what a user looks for: an install command, an example, the main API in a table', () => {
    const section = (heading: string) => readme.split(/^## /m).find((part) => part.startsWith(`${heading}\n`)) ?? '';
    expect(section('Install')).toMatch(new RegExp(`npm install (--global )?@mnist-cnn/${name}\\b`));
    expect(section('Example')).toMatch(/^```(ts|sh)\n[\s\S]+?^```$/m);
    const api = section(name === 'cli' ? 'Commands' : 'Main API');
    expect(api.split('\n').filter((line) => line.startsWith('| `')).length).toBeGreaterThanOrEqual(4);
  });

  it('links to the documentation site', () => {
    expect(linkTargets(readme).some((target) => target.startsWith('https://mnist-cnn.github.io/'))).toBe(true);
  });
});
