// The last few events appended to the log, as the appender passed them, by position. Live
// subscribers (the State service's cursor, the persist feed) read each event right after it
// becomes durable; reading it back from LMDB would copy and decode every output chunk once more
// per subscriber only to rebuild the object that was just encoded. The store serves a chunk from
// here when it holds the whole tail of the range, and from LMDB otherwise, so a subscriber that
// is behind reads the log as before. Bounded by count and by stored bytes, oldest dropped first.
// Events are plain data that nobody mutates after appending (the command handler already hands
// the same objects to its own listeners), and a MessagePack round trip of them gives equal values.

export class RecentEvents<E> {
  private items: E[] = [];
  private sizes: number[] = [];
  private head = 0;
  /** The position of items[head]. */
  private first = 1;
  private bytes = 0;

  constructor(private readonly maxEvents: number, private readonly maxBytes: number) {}

  private get count(): number { return this.items.length - this.head; }

  /** Adds the event stored at `position` (`size`: its stored bytes); a gap or a rewind starts over. */
  add(position: number, event: E, size: number): void {
    if (this.count > 0 && position !== this.first + this.count) this.clear();
    if (this.count === 0) this.first = position;
    this.items.push(event);
    this.sizes.push(size);
    this.bytes += size;
    while (this.count > 1 && (this.count > this.maxEvents || this.bytes > this.maxBytes)) this.dropOne();
    // Shift the arrays only now and then, so dropping stays O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }

  /** The first position held, or undefined when nothing is held. */
  get firstPosition(): number | undefined { return this.count > 0 ? this.first : undefined; }

  /** The events at from..to, when every one of them is held. */
  range(from: number, to: number): { position: number; event: E }[] | undefined {
    if (this.count === 0 || from < this.first || to >= this.first + this.count || from > to) return undefined;
    const out: { position: number; event: E }[] = new Array(to - from + 1);
    for (let p = from; p <= to; p++) out[p - from] = { position: p, event: this.items[this.head + p - this.first] };
    return out;
  }

  /** Forgets every position up to `position` (compaction replaced them with stubs). */
  dropThrough(position: number): void {
    while (this.count > 0 && this.first <= position) this.dropOne();
  }

  clear(): void {
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
  }

  private dropOne(): void {
    this.bytes -= this.sizes[this.head];
    (this.items as (E | undefined)[])[this.head] = undefined;
    this.head++;
    this.first++;
    if (this.count === 0) this.clear();
  }
}
