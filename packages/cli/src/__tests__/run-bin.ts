import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** The built binary: tests always exercise what users install. */
export const binPath = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

/** What a finished run of the binary printed and how it exited. */
export interface BinResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The largest resident set seen while polling (only with `memoryLimitBytes`). */
  peakRssBytes: number;
  /** Why the test killed the child, if it did: over `memoryLimitBytes` or past `timeoutMs`. */
  killedFor: 'memory' | 'timeout' | undefined;
}

/** VmRSS of a live process in bytes, from /proc; 0 once it has gone. */
export function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
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
 * With `memoryLimitBytes` the child's resident set is polled and the child killed above the limit, so a memory
 * regression fails the test instead of exhausting the machine; with `timeoutMs` a hang is killed the same way.
 */
export function runBin(
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
    memoryLimitBytes?: number;
    timeoutMs?: number;
  } = {},
): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], {
      env: childEnv(options.env),
      cwd: options.cwd ?? tempDir(),
    });
    let stdout = '';
    let stderr = '';
    let peakRssBytes = 0;
    let killedFor: BinResult['killedFor'];
    const kill = (reason: NonNullable<BinResult['killedFor']>) => {
      killedFor ??= reason;
      child.kill('SIGKILL');
    };
    const { memoryLimitBytes, timeoutMs } = options;
    const poll =
      memoryLimitBytes === undefined || child.pid === undefined
        ? undefined
        : setInterval(() => {
            peakRssBytes = Math.max(peakRssBytes, residentBytes(child.pid!));
            if (peakRssBytes > memoryLimitBytes) kill('memory');
          }, 20);
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => kill('timeout'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, peakRssBytes, killedFor });
    });
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

/** A refused run: exit `code`, exactly one `mnist-cnn: error:` line matching `message` and one hint, no stack, no stdout. */
export function expectOneLineError(result: BinResult, code: number, message: RegExp): void {
  expect(result.code).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^mnist-cnn: error: /);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^hint: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}
