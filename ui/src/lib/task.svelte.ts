// One asynchronous action of a view (loading a page, running a command):
// whether it runs, and the error it ended with, as reactive state. Replaces
// the views' hand-written `busy = true; error = ''; try … catch … finally`.
import { errorText } from './api';

/** Whether a run is still the latest one of its task. */
export type Current = () => boolean;

/** A view's asynchronous action: `busy` while a run is in progress, `error`
 * the text of the last run's failure ('' after a success or while running).
 * The latest run wins: when `run` is called again before an earlier run
 * ends, the earlier run's end changes nothing. */
export class Task {
  busy = $state(false);
  error = $state('');
  #latest = 0;

  /** A task, already `busy` when it is to start at once (a view's first
   * load shows "loading" before its effect runs). */
  constructor(busy = false) {
    this.busy = busy;
  }

  /** Runs `work` (which may check `current()` before using what it
   * awaited). On failure `error` takes the error's text and `failed` runs,
   * both only if this run is still the latest. Resolves to whether `work`
   * succeeded and is still the latest run. */
  async run(work: (current: Current) => Promise<void>, failed?: () => void): Promise<boolean> {
    const mine = ++this.#latest;
    const current = () => mine === this.#latest;
    this.busy = true;
    this.error = '';
    try {
      await work(current);
      return current();
    } catch (e) {
      if (current()) {
        this.error = errorText(e);
        failed?.();
      }
      return false;
    } finally {
      if (current()) this.busy = false;
    }
  }
}
