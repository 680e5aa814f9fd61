// Output wake-ups for a spool that lives outside the state dir (LaunchSpec.spoolFile). The tail
// (jobTail.ts) watches the state dir, where the supervisor's status changes are announced; when
// that dir is a tmpfs, the spool is elsewhere on disk and the dir holds only a symlink to it, so
// writes to the spool announce nothing there. This watches the spool file itself (inotify
// follows the symlink's target) and wakes the tail on each change. It is attached lazily, at a
// tail step that finds the spool made: the supervisor creates it at its start, after the tail.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import type { SupervisorHandle } from './jobTail.js';

export class SpoolWatch {
  private watcher: FSWatcher | undefined;
  private wake: (() => void) | undefined;
  private closed = false;

  /** fresh: a launch, whose spool cannot exist at the tail's first step (the supervisor is not started yet) */
  constructor(private readonly file: string, private fresh = false) {}

  /**
   * `handle` with this watch added: it is attached at each tail step (alive) and wakes the tail's
   * output wake-up; the handle's own wake-ups stay as they were.
   */
  around(handle: SupervisorHandle): SupervisorHandle {
    return {
      ...handle,
      alive: () => { this.ensure(); return handle.alive(); },
      onWake: (wake, outputWake) => { this.setWake(outputWake); handle.onWake?.(wake, outputWake); },
    };
  }

  /** The tail's wake-up (SupervisorHandle.onWake); nothing is watched before it is known. */
  private setWake(wake: () => void): void {
    this.wake = wake;
  }

  /**
   * Watches the spool if it exists now; a no-op once watching. Called at the start of each tail
   * step (SupervisorHandle.alive), so output written before the watch began is read by that same
   * step's drain and output written after it wakes the next one: no wake-up is lost in between.
   */
  private ensure(): void {
    if (this.watcher || this.closed || !this.wake) return;
    // a failed watch costs an exception; the launch's first step comes before its supervisor runs
    if (this.fresh) { this.fresh = false; return; }
    // a job that prints nothing never gets a spool: look before watching, as a failed watch
    // throws (an Error with its stack) at every step of the job
    if (!existsSync(this.file)) return;
    try {
      const w = watch(this.file, () => this.wake?.());
      w.on('error', () => this.close());
      this.watcher = w;
    } catch {
      // not made yet (ENOENT), or no inotify watch left (ENOSPC): the next step tries again, and
      // the tail's own poll still reads the output meanwhile
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
  }
}
