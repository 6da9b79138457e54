import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckpointStore } from './checkpoint.js';
import { CheckpointError } from './errors.js';

/** File name of the checkpoint inside a checkpoint directory. */
export const checkpointFileName = 'checkpoint.mnistckpt';

/** Writes bytes to `path` atomically: a temporary file in the same directory, fsync, then rename over the target. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

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
        return new Uint8Array(await readFile(path));
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
