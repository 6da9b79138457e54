import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { outLockFileName } from '../out-lock.js';
import { jsonLines, runBin, tempDir } from './run-bin.js';

const work = tempDir('mnist-cnn-lock-');
afterAll(() => rmSync(work, { recursive: true, force: true }));

const barrierScript = pathToFileURL(fileURLToPath(new URL('fixtures/stale-lock-barrier.mjs', import.meta.url))).href;

/** The PID of a process that has exited. */
async function goneProcessId(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('close', resolve));
  return child.pid!;
}

describe('the --out lock', () => {
  it('two runs that both find the same stale lock: exactly one takes it over and trains', async () => {
    const out = join(work, 'stale');
    const barrier = join(work, 'barrier');
    mkdirSync(out);
    mkdirSync(barrier);
    const stalePid = await goneProcessId();
    writeFileSync(
      join(out, outLockFileName),
      JSON.stringify({ pid: stalePid, host: hostname(), startedAt: 'earlier' }),
    );
    const env = {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${barrierScript}`,
      LOCK_BARRIER_DIR: barrier,
      LOCK_BARRIER_PID: String(stalePid),
      LOCK_BARRIER_RUNS: '2',
    };
    const args = ['train', '--limit', '256', '--epochs', '1', '--batch-size', '64', '--workers', '1', '--json'];
    const runs = await Promise.all([
      runBin([...args, '--out', out], { env, timeoutMs: 120_000 }),
      runBin([...args, '--out', out], { env, timeoutMs: 120_000 }),
    ]);

    // Both really met at the barrier: each had read the lock as stale before either took it over.
    expect(readdirSync(barrier)).toHaveLength(2);
    const trained = runs.filter((run) => run.code === 0);
    const refused = runs.filter((run) => run.code !== 0);
    expect(trained).toHaveLength(1);
    expect(jsonLines(trained[0]!.stdout).at(-1)).toMatchObject({ type: 'summary' });
    expect(refused).toHaveLength(1);
    expect(refused[0]!.code).toBe(1);
    expect(refused[0]!.stdout).not.toContain('"type":"start"');
    expect(refused[0]!.stderr).toMatch(/^mnist-cnn: error: .* is in use by another training run: process \d+ on /);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
    // The lock is gone, and so is every file the takeover used.
    expect(readdirSync(out).filter((name) => name.startsWith(outLockFileName))).toEqual([]);
  });

  it('a takeover whose run died part-way does not block the next run', async () => {
    const out = join(work, 'abandoned');
    mkdirSync(out);
    const lock = join(out, outLockFileName);
    const stale = JSON.stringify({ pid: await goneProcessId(), host: hostname(), startedAt: 'earlier' });
    writeFileSync(lock, stale);
    // What a run killed between claiming the takeover and finishing it leaves behind.
    writeFileSync(`${lock}.takeover-${statSync(lock).ino}-1`, stale);
    const run = await runBin(['train', '--limit', '64', '--epochs', '1', '--workers', '1', '--json', '--out', out], {
      timeoutMs: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readdirSync(out).filter((name) => name.startsWith(outLockFileName))).toEqual([]);
  });

  it('a lock naming a live PID that another process took since is taken over; its own live holder keeps it', async () => {
    // A process running now, as if its PID had been handed out again after the lock's run ended.
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    try {
      await new Promise((resolve) => other.once('spawn', resolve));
      const args = ['train', '--limit', '64', '--epochs', '1', '--workers', '1', '--json'];
      const lockNaming = (startedAt: string) => JSON.stringify({ pid: other.pid, host: hostname(), startedAt });

      const held = join(work, 'live-holder');
      mkdirSync(held);
      writeFileSync(join(held, outLockFileName), lockNaming(new Date().toISOString()));
      const refused = await runBin([...args, '--out', held], { timeoutMs: 120_000 });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`is in use by another training run: process ${other.pid} on`);

      const reused = join(work, 'reused-pid');
      mkdirSync(reused);
      writeFileSync(join(reused, outLockFileName), lockNaming(new Date(Date.now() - 3_600_000).toISOString()));
      const run = await runBin([...args, '--out', reused], { timeoutMs: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(readdirSync(reused).filter((name) => name.startsWith(outLockFileName))).toEqual([]);
    } finally {
      other.kill();
    }
  });

  it('a stale lock naming the PID the new run happens to have is taken over', async () => {
    const out = join(work, 'same-pid');
    mkdirSync(out);
    const preload = pathToFileURL(fileURLToPath(new URL('fixtures/own-pid-lock.mjs', import.meta.url))).href;
    const run = await runBin(['train', '--limit', '64', '--epochs', '1', '--workers', '1', '--json', '--out', out], {
      env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`, OWN_PID_LOCK_DIR: out },
      timeoutMs: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readdirSync(out).filter((name) => name.startsWith(outLockFileName))).toEqual([]);
  });
});
