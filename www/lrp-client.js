// The page's side of the worker: at most one job is in the worker at a time, and
// the next one is chosen only when it answers.
//
// - Foreground jobs (the main explanation) are coalesced: `latest(job)` replaces
//   any foreground job that has not started yet (its promise resolves to null),
//   so while the pen moves only the newest drawing is computed, never a backlog.
// - Background jobs (the comparison grid) run only when no foreground job is
//   waiting and the background is not paused (it is paused while the pen is down);
//   `background(jobs)` replaces the whole background queue, and the results of a
//   replaced generation are dropped.
// - A worker whose module crashed (a trap) is never used again: its job fails with
//   the reason, a fresh worker starts, and the queued jobs run on it.

export class LrpClient {
  #url;
  #worker = null;
  #live = false; // the current worker has loaded the module
  #current = null; // the job in the worker
  #waiting = null; // the newest foreground job not yet sent
  #queue = []; // background jobs not yet sent
  #generation = 0;
  #paused = false;
  #nextId = 1;
  /** How many times a crashed worker was replaced. */
  restarts = 0;

  constructor(url) {
    this.#url = url;
    /** Resolves to { models, methods } once the module is loaded in the worker. */
    this.ready = this.#start();
  }

  #start() {
    const worker = new Worker(this.#url, { type: "module" });
    this.#worker = worker;
    this.#live = false;
    return new Promise((resolve, reject) => {
      worker.addEventListener("message", ({ data }) => {
        if (worker !== this.#worker) return; // a replaced worker's last words
        if (data.type === "ready") {
          this.#live = true;
          resolve({ models: data.models, methods: data.methods });
          this.#pump();
        } else if (data.type === "failed") {
          reject(new Error(data.error));
        } else {
          this.#answer(data);
        }
      });
      worker.addEventListener("error", (event) => {
        event.preventDefault?.();
        reject(new Error(event.message || "the worker could not start"));
      });
    });
  }

  /** Computes `job` as soon as the worker is free; resolves to null if a newer foreground job replaced it first. */
  latest(job) {
    this.#waiting?.resolve(null);
    return new Promise((resolve, reject) => {
      this.#waiting = { job, resolve, reject };
      this.#pump();
    });
  }

  /** Replaces the background queue; `onResult(job, result, error)` is called as each one completes. */
  background(jobs, onResult) {
    const generation = ++this.#generation;
    this.#queue = jobs.map((job) => ({
      job,
      resolve: (result) => generation === this.#generation && onResult(job, result, null),
      reject: (error) => generation === this.#generation && onResult(job, null, error),
    }));
    this.#pump();
  }

  /** Stops (true) or resumes (false) the background queue; foreground jobs always run. */
  pause(paused) {
    this.#paused = paused;
    if (!paused) this.#pump();
  }

  /** Whether a foreground job is waiting or running (the page is about to change). */
  get pending() {
    return this.#waiting !== null || this.#current?.foreground === true;
  }

  #pump() {
    if (this.#current || !this.#live) return;
    let next = null;
    if (this.#waiting) {
      next = { ...this.#waiting, foreground: true };
      this.#waiting = null;
    } else if (!this.#paused && this.#queue.length > 0) {
      next = { ...this.#queue.shift(), foreground: false };
    }
    if (!next) return;
    next.id = this.#nextId++;
    this.#current = next;
    this.#worker.postMessage({ id: next.id, ...next.job });
  }

  #answer(data) {
    const job = this.#current;
    if (!job || job.id !== data.id) return;
    this.#current = null;
    if (data.crashed) {
      this.restarts++;
      this.#worker.terminate();
      this.#start().catch(() => {}); // its jobs wait until it is ready
    }
    if (data.ok) job.resolve(data.result);
    else job.reject(new Error(data.crashed ? `the module crashed and was restarted: ${data.error}` : data.error));
    this.#pump();
  }
}
