/**
 * Keeps the source's next item in flight while the caller works on the current one, so producing
 * the next (a database cursor, a parser) overlaps with consuming this one (encoding, a COPY).
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  // The read ahead may fail while the consumer is still busy with the previous item; a handler is
  // attached at once so that failure is not an unhandled rejection (it still throws at `await next`).
  const readAhead = () => {
    const pending = iterator.next();
    pending.catch(() => undefined);
    return pending;
  };
  let next = readAhead();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = readAhead();
      yield current.value;
    }
  } finally {
    // Abandoned early (failure, cancel): let the pending read settle, then close the source.
    await next.catch(() => undefined);
    await iterator.return?.();
  }
}
