// The fuzz tests' seed and budget: fixed unless FUZZ_SEED is set, so a run is reproducible; printed on failure.
import fc from 'fast-check';

export const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20261123;
/** Scales every property's number of runs (FUZZ_SCALE=10 for a long local run). */
export const SCALE = process.env.FUZZ_SCALE ? Number(process.env.FUZZ_SCALE) : 1;

/**
 * fc.assert with the fixed seed; a failure names the seed and how to replay it, then fast-check's report
 * (seed, path, counterexample). No shrinking by default (every step would be more requests); FUZZ_SHRINK=1 shrinks.
 */
export async function assertProperty<T>(name: string, property: fc.IAsyncPropertyWithHooks<T> | fc.IPropertyWithHooks<T>, numRuns: number): Promise<void> {
  const runs = Math.max(1, Math.round(numRuns * SCALE));
  try {
    await fc.assert(property as fc.IAsyncPropertyWithHooks<T>, { seed: SEED, numRuns: runs, endOnFailure: !process.env.FUZZ_SHRINK });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${name}: failed with FUZZ_SEED=${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/fuzz)\n${message}`, { cause: error });
  }
}
