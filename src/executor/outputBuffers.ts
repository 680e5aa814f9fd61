// Where captured output bytes are copied to (jobTail.coalesce): a plain buffer by default, or the
// event log codec's buffer with room around the bytes for their event's encoding, so the log stores
// them where they lie (codec.outputBuffer, decision 0027). The executor must not know the log's
// codec (layering: it imports only events), so the daemon sets the codec's allocator here, as it
// adds the persist service's capture gate (captureGate.ts). Process-wide like that gate.

export type OutputAllocator = (length: number) => Buffer;

const plain: OutputAllocator = (length) => Buffer.allocUnsafeSlow(length);
let allocate: OutputAllocator = plain;

/** A buffer of `length` bytes to copy captured output into. */
export function outputBuffer(length: number): Buffer {
  return allocate(length);
}

/** Sets the allocator; the returned function puts the plain one back. */
export function setOutputAllocator(f: OutputAllocator): () => void {
  allocate = f;
  return () => { if (allocate === f) allocate = plain; };
}
