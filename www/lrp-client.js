// The page's side of the worker: at most one job is in the worker at a time, and
// the next one is chosen only when it answers.
//
// - Foreground jobs (the main explanation) are coalesced: `latest(job, channel)`
//   replaces the channel's foreground job that has not started yet (its promise
//   resolves to null), so while the pen moves only the newest drawing is computed,
//   never a backlog. Each explainer on a page is one channel: several share a worker.
// - Background jobs run only when no foreground job is waiting and the background
//   is not paused (it is paused while the pen is down). They wait in named queues,
//   served in the order of PRIORITY (feature removal for the digit on screen first,
//   then a channel's heatmap, then the comparison grid, then evaluations; "compare:2" is channel 2's comparison
//   grid, served as "compare"); `background(jobs, onResult, queue)`
//   replaces one queue, dropping the results of what it replaced, and `run(job,
//   queue)` adds one job to a queue.
// - A worker whose module crashed (a trap) is never used again: its job fails with
//   the reason, a fresh worker starts, and the queued jobs run on it.
// - A model the user brings (`loadModel`) is given to every worker of the page: to
//   this one, to a fresh one after a crash, and to the workers of other clients (the
//   evaluation's pool), each before its next job.
// - A page may start the worker before its modules load (index.html does, so that the
//   module compiles meanwhile), as `globalThis.LRP_EARLY_WORKER = { worker, url }`:
//   the first client for that url adopts it. The worker speaks only when spoken to
//   ("hello" is answered with "ready"), so nothing it says is lost before then; jobs
//   may be sent before it is ready (it takes them in order once its module is loaded).

/** Background queues, first served first. */
const PRIORITY = ["removal", "concepts", "compare", "evaluate"];

/** The models brought by the user on this page: name -> { description, weights, version }. */
const BROUGHT = new Map();
let broughtVersion = 0;

export class LrpClient {
  #url;
  #type;
  #worker = null;
  #current = null; // the job in the worker
  #waiting = new Map(); // channel -> its newest foreground job not yet sent
  #queues = new Map(PRIORITY.map((name) => [name, { jobs: [], generation: 0 }])); // background jobs not yet sent
  #paused = new Set(); // the channels whose pen is down
  #nextId = 1;
  #given = new Map(); // name -> version of a brought model the current worker has
  /** How many times a crashed worker was replaced. */
  restarts = 0;

  /** `type`: "module" for worker.js as it is, "classic" for the offline build's bundle. */
  constructor(url, type = "module") {
    this.#url = url;
    this.#type = type;
    /** Resolves once the module is loaded in the worker (rejects if it cannot be); jobs wait for it. */
    this.ready = this.#start();
  }

  #start() {
    const early = globalThis.LRP_EARLY_WORKER;
    let worker;
    if (early && early.url === new URL(this.#url, globalThis.location?.href).href) {
      delete globalThis.LRP_EARLY_WORKER;
      worker = early.worker;
    } else {
      worker = new Worker(this.#url, { type: this.#type });
    }
    this.#worker = worker;
    this.#given = new Map();
    return new Promise((resolve, reject) => {
      worker.addEventListener("message", ({ data }) => {
        if (worker !== this.#worker) return; // a replaced worker's last words
        if (data.type === "ready") {
          // The worker's steps, as marks on the page's timeline (benches/first-load.mjs).
          for (const [step, at] of Object.entries(data.timing ?? {})) {
            performance.mark(`lrp:worker-${step}`, { startTime: at - performance.timeOrigin });
          }
          resolve();
        } else if (data.type === "failed") {
          reject(new Error(data.error));
        } else {
          this.#answer(data);
        }
      });
      const failed = (message) => reject(new Error(message || "the worker could not start"));
      worker.addEventListener("error", (event) => {
        event.preventDefault?.();
        failed(event.message);
      });
      if ("failed" in worker) failed(worker.failed); // an early worker that failed before it was adopted
      worker.postMessage({ kind: "hello" });
    });
  }

  /**
   * Registers a model of the user's (`description`: the JSON text, `weights`: the
   * safetensors bytes) in this worker and, before their next job, in every other
   * worker of the page. Resolves to { model, methods } or rejects with the module's error.
   */
  async loadModel(description, weights) {
    const version = ++broughtVersion;
    const result = await this.latest({ kind: "loadModel", description, weights }, `load-model:${version}`);
    BROUGHT.set(result.model.name, { description, weights, version });
    this.#given.set(result.model.name, version);
    return result;
  }

  /** Computes `job` as soon as the worker is free; resolves to null if a newer foreground job replaced it first. */
  latest(job, channel = "main") {
    this.#waiting.get(channel)?.resolve(null);
    this.#waiting.delete(channel); // the newest goes to the back: channels take turns
    return new Promise((resolve, reject) => {
      this.#waiting.set(channel, { job, resolve, reject, channel });
      this.#pump();
    });
  }

  #queue(name) {
    if (!this.#queues.has(name)) this.#queues.set(name, { jobs: [], generation: 0 });
    return this.#queues.get(name);
  }

  /** Replaces background queue `name`; `onResult(job, result, error)` is called as each one completes. */
  background(jobs, onResult, name = "compare") {
    const queue = this.#queue(name);
    const generation = ++queue.generation;
    queue.jobs = jobs.map((job) => ({
      job,
      resolve: (result) => generation === queue.generation && onResult(job, result, null),
      reject: (error) => generation === queue.generation && onResult(job, null, error),
    }));
    this.#pump();
  }

  /** Adds one job to background queue `name`; resolves to its result. */
  run(job, name = "evaluate") {
    return new Promise((resolve, reject) => {
      this.#queue(name).jobs.push({ job, resolve, reject });
      this.#pump();
    });
  }

  /** Empties background queue `name`; what it held is dropped, unanswered. */
  clear(name) {
    const queue = this.#queue(name);
    queue.generation++;
    queue.jobs = [];
  }

  /** Stops (true) or resumes (false) the background queues for `channel`'s sake; foreground jobs always run. */
  pause(paused, channel = "main") {
    if (paused) this.#paused.add(channel);
    else this.#paused.delete(channel);
    this.#pump();
  }

  /** Whether background queue `name` has jobs waiting or running. */
  busy(name) {
    return this.#queue(name).jobs.length > 0 || this.#current?.queue === name;
  }

  /** Whether a foreground job of `channel` (or of any channel) is waiting or running: what is shown is about to change. */
  pending(channel = null) {
    if (channel === null) return this.#waiting.size > 0 || this.#current?.foreground === true;
    return this.#waiting.has(channel) || (this.#current?.foreground === true && this.#current.channel === channel);
  }

  #pump() {
    // Not held until the worker says it is ready: it takes a job as soon as it is started
    // and computes it once its module is loaded, while this page may still be busy laying
    // itself out (the first request would otherwise wait for the page, not the worker).
    if (this.#current) return;
    let next = null;
    const [channel] = this.#waiting.keys();
    const missing = [...BROUGHT].find(([name, { version }]) => this.#given.get(name) !== version);
    if (missing) {
      const [name, { description, weights, version }] = missing;
      this.#given.set(name, version);
      const ignore = () => {}; // it loaded once already: it loads again
      next = { job: { kind: "loadModel", description, weights }, resolve: ignore, reject: ignore, foreground: false };
    } else if (channel !== undefined) {
      next = { ...this.#waiting.get(channel), foreground: true };
      this.#waiting.delete(channel);
    } else if (this.#paused.size === 0) {
      const rank = (name) => PRIORITY.indexOf(name.split(":")[0]) >>> 0; // unknown names last
      const waiting = [...this.#queues].filter(([, q]) => q.jobs.length > 0).sort(([a], [b]) => rank(a) - rank(b))[0];
      if (waiting) next = { ...waiting[1].jobs.shift(), foreground: false, queue: waiting[0] };
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
