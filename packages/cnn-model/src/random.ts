/**
 * Seeded random numbers (sfc32, seeded through splitmix32) computed in plain JS, so that initial weights, dropout masks,
 * shuffles and augmentations come out bit-identical on every tfjs backend. A generator's whole state is four uint32
 * numbers, so a checkpoint can save and restore it exactly. Not cryptographic.
 */

/** The four 32-bit words that fully describe a generator's position. */
export type RngState = readonly [number, number, number, number];

/** A seeded random number generator with a serializable state. */
export interface Rng {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
  /** A uniformly distributed number in [0, 1). */
  next(): number;
  /** An integer in [0, bound). */
  nextInt(bound: number): number;
  /** A copy of the current state; `createRngFromState(state)` continues from exactly here. */
  state(): RngState;
}

// splitmix32 spreads a small integer seed over 128 bits of state so that seeds 1 and 2 give unrelated streams.
function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a generator from an integer seed (any safe integer; it is folded to 32 bits). */
export function createRng(seed: number): Rng {
  const folded = (seed >>> 0) ^ Math.floor(seed / 0x100000000);
  const mix = splitmix32(folded);
  const rng = createRngFromState([mix(), mix(), mix(), mix()]);
  // sfc32 wants a few rounds before its output is well mixed.
  for (let i = 0; i < 12; i++) rng.nextUint32();
  return rng;
}

/** Recreates a generator at a saved position. */
export function createRngFromState(saved: RngState): Rng {
  let [a, b, c, d] = saved.map((word) => word >>> 0) as [number, number, number, number];
  const nextUint32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  return {
    nextUint32,
    next: () => nextUint32() / 0x100000000,
    nextInt: (bound) => Math.floor((nextUint32() / 0x100000000) * bound),
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
}

/** Mixes a seed with a path of integers (epoch, batch, …) into a new 32-bit seed; order matters. */
export function deriveSeed(seed: number, ...path: number[]): number {
  let h = splitmix32(seed)();
  for (const part of path) h = splitmix32((h ^ Math.imul(part >>> 0, 0x27d4eb2d)) >>> 0)();
  return h >>> 0;
}

/** Shuffles an array in place (Fisher–Yates) with the given generator and returns it. */
export function shuffleInPlace<T extends { length: number; [index: number]: number }>(items: T, rng: Rng): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const swap = items[i]!;
    items[i] = items[j]!;
    items[j] = swap;
  }
  return items;
}

/** Standard normal samples drawn from `rng` (Box–Muller, both values of each pair used in turn). */
export function normalSampler(rng: Rng): () => number {
  let spare: number | undefined;
  return () => {
    const value = spare;
    spare = undefined;
    if (value !== undefined) return value;
    const u = 1 - rng.next();
    const v = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    spare = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  };
}
