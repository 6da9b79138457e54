/**
 * Node-only file access for this package: inputs are opened only when they are regular files, and outputs are written
 * to a temp file in the same directory and renamed into place, so a crash or an error never leaves a half-written file
 * and a file being replaced stays intact until the new one is complete.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  constants as fsConstants,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { chmod, type FileHandle, open, rename, rm } from 'node:fs/promises';
import { NotRegularFileError } from './errors.js';

/** How a path that is not a regular file is named in `NotRegularFileError`. */
export function kindOf(stats: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean }): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Opens `path` for reading only if it is a regular file. The open is non-blocking and the check uses fstat on what was
 * opened, so a FIFO (which a plain open would wait on forever) or a device is refused by name.
 */
export async function openRegularFile(path: string): Promise<FileHandle> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new NotRegularFileError(path, kindOf(stats));
  }
  return handle;
}

/** Temp files being written, removed if the process exits before they are renamed (Ctrl-C ends the CLI with exit()). */
const tempFiles = new Set<string>();
let removesTempFilesOnExit = false;

function trackTempFile(file: string): void {
  if (!removesTempFilesOnExit) {
    removesTempFilesOnExit = true;
    process.on('exit', () => {
      for (const temp of tempFiles) rmSync(temp, { force: true });
    });
  }
  tempFiles.add(file);
}

/** A fresh temp name beside `path`: the same directory keeps the rename atomic (one file system). */
function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/**
 * Where a write to `path` lands, and the permission bits to give it. A symlink is followed, so the file it points to is
 * replaced and the link stays a link (renaming onto the link would swap it for a plain file); an existing file keeps
 * its mode rather than getting the temp file's default. Refuses a directory, FIFO or device: rename would fail with a
 * bare errno, or succeed over a FIFO.
 */
function replacementTarget(path: string): { target: string; mode: number | undefined } {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return { target: path, mode: undefined };
  if (!stats.isFile()) throw new NotRegularFileError(path, kindOf(stats));
  return { target: realpathSync(path), mode: stats.mode & 0o7777 };
}

/**
 * Replaces `path` with the file `fill` writes at the temp path it is given (create it with the `wx` flag). `fill`
 * returns false to discard what it wrote; the temp file is removed then and whenever anything throws. Resolves to
 * whether `path` was replaced. Throws `NotRegularFileError` when `path` exists and is not a regular file.
 */
export async function replaceFile(path: string, fill: (tempPath: string) => Promise<boolean>): Promise<boolean> {
  const { target, mode } = replacementTarget(path);
  const temp = tempPathFor(target);
  trackTempFile(temp);
  try {
    if (!(await fill(temp))) return false;
    if (mode !== undefined) await chmod(temp, mode);
    await rename(temp, target);
    return true;
  } finally {
    tempFiles.delete(temp);
    await rm(temp, { force: true }).catch(() => {});
  }
}

/** Synchronous `replaceFile` for bytes already in memory. */
export function replaceFileSync(path: string, bytes: Uint8Array): void {
  const { target, mode } = replacementTarget(path);
  const temp = tempPathFor(target);
  try {
    writeFileSync(temp, bytes, { flag: 'wx' });
    if (mode !== undefined) chmodSync(temp, mode);
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
}
