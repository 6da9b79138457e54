/**
 * Like `Promise.all`, but when several fail it throws the failure of the earliest item in the list rather than the
 * first to fail in time, so a dataset with several broken files always reports the same one.
 */
export async function allInOrder<T>(work: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failure = settled.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}
