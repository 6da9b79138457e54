import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const NODE_BUILTINS =
  /^(node:|fs$|fs\/|zlib$|path$|os$|crypto$|http$|https$|module$|url$|util$|stream$|child_process$)/;

/** Every module specifier reachable from `entry` through relative imports. */
function importGraph(entry: string): { files: string[]; external: string[] } {
  const files: string[] = [];
  const external = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) {
        let target = resolve(dirname(file), spec);
        if (!existsSync(target)) target = target.replace(/\.js$/, '.ts');
        todo.push(target);
      } else external.add(spec);
    }
  }
  return { files, external: [...external] };
}

describe('entry points', () => {
  it('the core source entry imports no node: module (browser-safe)', () => {
    const { files, external } = importGraph(join(root, 'src/index.ts'));
    expect(files.length).toBeGreaterThan(3);
    expect(external).toEqual([]);
  });

  it('the built core entry (dist/index.js and its chunks) imports no Node built-in', () => {
    const dist = join(root, 'dist/index.js');
    if (!existsSync(dist)) return; // `pnpm test` builds first; a bare vitest run may not have
    const { external } = importGraph(dist);
    expect(external.filter((s) => NODE_BUILTINS.test(s))).toEqual([]);
  });

  it('the node entry re-exports the core API', async () => {
    const core = await import('../src/index.js');
    const node = await import('../src/node.js');
    for (const name of Object.keys(core)) expect(node).toHaveProperty(name);
    expect(typeof node.loadDataset).toBe('function');
    expect('loadDataset' in core).toBe(false);
  });
});
