/** Polls `get` every 50 ms until `done` accepts its value or `ms` pass; returns the last value
 *  either way, so the caller's assertion on it says what was seen. */
export async function until<T>(get: () => Promise<T>, done: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (done(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
