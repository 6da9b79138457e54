import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, unlinkSync } from 'node:fs';
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

/** The lock at `path` as one file: its inode and who it names (undefined when it names no one readable). */
interface LockFile {
  inode: number;
  holder: LockHolder | undefined;
}

/** Reads the lock at `path` through one descriptor, so the inode and the holder belong to the same file. */
function readLock(path: string): LockFile | undefined {
  let fd: number;
  try {
    // Non-blocking, so that a FIFO put in the lock's place is reported instead of waited on.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (isSystemError(error, 'ENOENT')) return undefined;
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    return {
      inode: stats.ino,
      holder: stats.isFile() && stats.size <= 4096 ? parseHolder(readFileSync(fd, 'utf8')) : undefined,
    };
  } finally {
    closeSync(fd);
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(text) as Partial<LockHolder>;
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
 * The locks this process holds. A lock naming our own PID that is not one of them was left by an earlier process that
 * had the same PID: PIDs repeat, in a container after every restart.
 */
const heldLocks = new Set<string>();

/**
 * How much later than the lock's `startedAt` a process must have started for its PID to count as reused. Generous: the
 * start is worked out from the boot time, which moves when the wall clock is set, and taking a live run's lock would
 * let two runs write one directory.
 */
const reusedPidMarginMs = 60_000;

/**
 * Whether process `pid` started well after `startedAt` (an ISO time), so that it cannot be the process that wrote the
 * lock: PIDs repeat, after a reboot or a container restart. Reads Linux's /proc (the start in clock ticks after boot,
 * which Linux reports at 100 a second); false wherever that is missing or unreadable, leaving the PID check alone.
 */
function startedAfter(pid: number, startedAt: string): boolean {
  const lockedAt = Date.parse(startedAt);
  if (!Number.isFinite(lockedAt)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself hold spaces: the start is the 20th.
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const startedMs = (bootSeconds + startTicks / 100) * 1000;
    return Number.isFinite(startedMs) && startedMs > lockedAt + reusedPidMarginMs;
  } catch {
    return false;
  }
}

/** The lock (or claim) at `file` names a holder on this host that is gone, or whose PID another process now has. */
function isStale(holder: LockHolder | undefined, file: string): holder is LockHolder {
  if (holder === undefined || holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return !heldLocks.has(file);
  return !processAlive(holder.pid) || startedAfter(holder.pid, holder.startedAt);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Links `target` to `source`'s file; false when `target` already exists (the only way a lock or claim is taken). */
async function linkIfAbsent(source: string, target: string): Promise<boolean> {
  try {
    await link(source, target);
    return true;
  } catch (error) {
    if (!isSystemError(error, 'EEXIST')) throw error;
    return false;
  }
}

/**
 * Takes over the stale lock with inode `inode` unless another run is doing so. Removing a lock by name races: two runs
 * that both read it as stale would each delete it and link their own, the second deleting the first's. So the right to
 * remove this one lock is itself a file created exclusively, named after the lock's inode: only one run can create it.
 * A claim whose run died is passed over to the next numbered one. Returns whether `draft` is now the lock.
 */
async function takeOver(path: string, draft: string, inode: number): Promise<'held' | 'retry' | 'busy'> {
  const claims: string[] = [];
  for (;;) {
    const claim = `${path}.takeover-${inode}-${claims.length + 1}`;
    if (await linkIfAbsent(draft, claim)) {
      claims.push(claim);
      break;
    }
    // Another run's claim: wait for it, unless that run died, then the next number decides among the rest.
    if (!isStale(readLock(claim)?.holder, claim)) return 'busy';
    claims.push(claim);
  }
  try {
    // Only a run holding a claim on this inode removes it, so the lock cannot change between this check and the rm.
    const current = readLock(path);
    if (current?.inode !== inode || !isStale(current.holder, path)) return 'retry';
    await rm(path, { force: true });
    return (await linkIfAbsent(draft, path)) ? 'held' : 'retry';
  } finally {
    // The claims (ours and dead runs') go once the stale lock has: a claim on an inode no longer at `path` is inert.
    await Promise.all(claims.map((claim) => rm(claim, { force: true })));
  }
}

/**
 * Makes this process the only writer of `directory`: creates the lock file holding our PID and host, or refuses naming
 * the run that holds it. A lock whose process is gone (same host, and its PID not running or now another process's) is
 * taken over, by one run only when several find it at once. Returns the release function; the lock is also removed
 * when the process exits, including through `process.exit` on a signal.
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
    // Bounded: a takeover by another run takes milliseconds, so a lock still changing hands after this is refused.
    for (let attempt = 0; ; attempt++) {
      if (await linkIfAbsent(draft, path)) {
        heldLocks.add(path);
        break;
      }
      const lock = readLock(path);
      if (lock === undefined) continue; // released in between
      const outcome = isStale(lock.holder, path) ? await takeOver(path, draft, lock.inode) : 'refused';
      if (outcome === 'held') {
        heldLocks.add(path);
        break;
      }
      if (outcome === 'refused' || attempt >= 50) {
        const holder = lock.holder;
        const who = holder
          ? `process ${holder.pid} on ${printable(holder.host)} (started ${printable(holder.startedAt)})`
          : 'another process';
        throw new CliError('FILE_NOT_WRITABLE', `${directory} is in use by another training run: ${who}`, {
          hint: `wait for that run to end or choose another --out; if it is gone, delete ${path}`,
        });
      }
      if (outcome === 'busy') await sleep(20);
    }
  } finally {
    await rm(draft, { force: true });
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    heldLocks.delete(path);
    process.off('exit', release);
    try {
      if (readLock(path)?.holder?.pid === process.pid) unlinkSync(path);
    } catch {
      // already gone, or unreadable: it is no longer ours to remove
    }
  };
  process.on('exit', release);
  return release;
}
