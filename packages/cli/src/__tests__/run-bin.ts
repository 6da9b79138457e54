import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built binary: tests always exercise what users install. */
export const binPath = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** What a finished run of the binary printed and how it exited. */
export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'mnist-cnn-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

const isolatedCache = tempDir('mnist-cnn-cache-');

/** Environment for the child: no colour overrides, no data dir from the caller, an empty private cache. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MNIST_CACHE_DIR: isolatedCache, ...extra };
  for (const key of ['NO_COLOR', 'FORCE_COLOR', 'MNIST_DATA_DIR']) if (!(key in extra)) delete env[key];
  return env;
}

/**
 * Runs `node dist/bin.js …args`. `onStdout` sees each chunk as it arrives and may act on the child (send it SIGINT).
 */
export function runBin(
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: childEnv(options.env),
      cwd: options.cwd ?? tempDir(),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Parses JSON-lines output. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
