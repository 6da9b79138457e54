import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../threaded-step.js';
import type { WorkerSetup } from '../worker-protocol.js';

const script = join(dirname(fileURLToPath(import.meta.url)), 'workers', 'counts-until-terminated.mjs');

/** A stand-in setup: the pool reads only its index, the counting worker only `count`. */
const standIn = (fields: object) => fields as WorkerSetup;
/** The stand-in worker ignores how it should boot. */
const boot = { backend: 'cpu', simd: false, prodMode: false } as const;

/** A setup for the counting worker, and whether that worker still counts (given time to start). */
function counter() {
  const count = new Int32Array(new SharedArrayBuffer(4));
  const stillCounting = async () => {
    await sleep(400);
    const before = Atomics.load(count, 0);
    await sleep(100);
    return Atomics.load(count, 0) !== before;
  };
  return { setup: standIn({ index: 1, count: count.buffer }), count, stillCounting };
}

// A thread a pool fails to end keeps the whole process alive; these pin that every path ends them.
describe('a worker pool', () => {
  it('runs its threads until close, which ends them even when waking them throws', async () => {
    const { setup, count, stillCounting } = counter();
    // Not an Int32Array, so Atomics.store throws inside close.
    const signals = new Float32Array(new SharedArrayBuffer(8)) as unknown as Int32Array;
    const pool = new WorkerPool(script, boot, [setup], signals);
    expect(await stillCounting()).toBe(true);
    expect(Atomics.load(count, 0)).toBeGreaterThan(0);
    await expect(pool.close()).rejects.toThrow(TypeError);
    expect(await stillCounting()).toBe(false);
  });

  it('ends the threads it started when a later one cannot start', async () => {
    const { setup, stillCounting } = counter();
    const unclonable = standIn({ index: 2, report: () => {} });
    expect(() => new WorkerPool(script, boot, [setup, unclonable])).toThrow(/could not be cloned/);
    expect(await stillCounting()).toBe(false);
  });
});
