import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CliError, isSystemError } from './errors.js';
import { printable } from './terminal-text.js';

/** The lock file a `train` run keeps in its `--out` directory while it runs. */
export const outLockFileName = '.train.lock';

/** Who holds a lock, as written in the file. */
interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return Number.isSafeInteger(holder.pid) && typeof holder.host === 'string'
      ? { pid: holder.pid!, host: holder.host, startedAt: String(holder.startedAt) }
      : undefined;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isSystemError(error, 'EPERM');
  }
}

/**
 * Makes this process the only writer of `directory`: creates the lock file holding our PID and host, or refuses naming
 * the run that holds it. A lock whose process is gone (same host, PID not running) is taken over. Returns the release
 * function; the lock is also removed when the process exits, including through `process.exit` on a signal.
 */
export async function lockOutDirectory(directory: string): Promise<() => void> {
  await mkdir(directory, { recursive: true });
  const path = join(directory, outLockFileName);
  const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  // Written in full under a private name, then linked into place: link fails if the lock exists, and a reader never
  // sees a half-written lock.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `${JSON.stringify(mine)}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(draft, path);
        break;
      } catch (error) {
        if (!isSystemError(error, 'EEXIST')) throw error;
      }
      const holder = readHolder(path);
      const stale = holder !== undefined && holder.host === mine.host && !processAlive(holder.pid);
      if (!stale || attempt > 0) {
        const who = holder
          ? `process ${holder.pid} on ${printable(holder.host)} (started ${printable(holder.startedAt)})`
          : 'another process';
        throw new CliError('FILE_NOT_WRITABLE', `${directory} is in use by another training run: ${who}`, {
          hint: `wait for that run to end or choose another --out; if it is gone, delete ${path}`,
        });
      }
      await rm(path, { force: true });
    }
  } finally {
    await rm(draft, { force: true });
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readHolder(path)?.pid === process.pid) {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', release);
  return release;
}
