import type { Options } from 'tsup';

/** The one tsup setup every package shares: ESM, .d.ts, source maps, Node 20. */
export function packageBuild(entry: Record<string, string>, overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'neutral',
    splitting: true,
    treeshake: true,
    ...overrides,
  };
}
