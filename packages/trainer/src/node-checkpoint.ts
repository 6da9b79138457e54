import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { maxParameters } from '@mnist-cnn/cnn-model';
import { readRegularFile, writeFileAtomic } from '@mnist-cnn/cnn-model/node';
import type { CheckpointStore } from './checkpoint.js';
import { CheckpointError } from './errors.js';

/** File name of the checkpoint inside a checkpoint directory. */
export const checkpointFileName = 'checkpoint.mnistckpt';

/** Largest checkpoint read: weights, two optimizer slots and the best weights of the largest model accepted fit. */
const maxCheckpointBytes = 4 * 4 * maxParameters + 16 * 1024 * 1024;

/** A checkpoint store that keeps the latest checkpoint as one file in `directory`, replaced atomically. */
export function directoryCheckpointStore(directory: string): CheckpointStore {
  const path = join(directory, checkpointFileName);
  return {
    location: path,
    async save(bytes) {
      await mkdir(directory, { recursive: true });
      await writeFileAtomic(path, bytes);
      return { path };
    },
    async load() {
      try {
        return await readRegularFile(path, { maxBytes: maxCheckpointBytes });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new CheckpointError('CHECKPOINT_CORRUPT', `cannot read the checkpoint: ${(error as Error).message}`, {
          source: path,
          cause: error,
        });
      }
    },
  };
}
