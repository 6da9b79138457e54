import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.config.base';

export default defineConfig(
  packageBuild({ index: 'src/index.ts', node: 'src/node.ts', 'worker-thread': 'src/worker-thread.ts' }),
);
