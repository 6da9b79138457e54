import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = join(dirname(fileURLToPath(import.meta.url)), '..');

async function importGraph(file: string, seen = new Map<string, string[]>()): Promise<Map<string, string[]>> {
  if (seen.has(file)) return seen;
  // Comments go first: TSDoc examples hold import lines of their own, which are not edges of this graph.
  const source = (await readFile(join(srcDir, file), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '');
  const specifiers = [...source.matchAll(/^(?:import|export)[^'";]*from\s+'([^']+)'|^import\s+'([^']+)'/gm)].map(
    (match) => (match[1] ?? match[2])!,
  );
  seen.set(file, specifiers);
  for (const specifier of specifiers) {
    if (specifier.startsWith('./')) await importGraph(specifier.slice(2).replace(/\.js$/, '.ts'), seen);
  }
  return seen;
}

describe('the browser entry', () => {
  it('reaches no node: module and no Node-only file', async () => {
    const graph = await importGraph('index.ts');
    expect(graph.size).toBeGreaterThan(10);
    const offenders = [...graph].flatMap(([file, specifiers]) =>
      specifiers.filter((s) => s.startsWith('node:') || s.includes('/node')).map((s) => `${file} → ${s}`),
    );
    expect(offenders).toEqual([]);
  });

  it('while the Node entry does add the Node-only helpers', async () => {
    const graph = await importGraph('node.ts');
    expect(graph.get('node-checkpoint.ts')).toContain('node:fs/promises');
    expect(graph.get('node-backend.ts')).toContain('node:module');
  });

  it('re-exports every name of the main entry, the Node versions taking the place of the browser ones', async () => {
    const [main, node] = [await import('../index.js'), await import('../node.js')];
    expect(Object.keys(main).length).toBeGreaterThan(25);
    expect(Object.keys(main).filter((name) => !(name in node))).toEqual([]);
    for (const name of ['initBackend', 'train', 'trainEvents'] as const) expect(node[name]).not.toBe(main[name]);
    expect(node.evaluate).toBe(main.evaluate);
  });
});
