// Node's BullMQ as a benchmark peer of hubjobs on the same Redis. It speaks the protocol of
// bench/redis_side_by_side/driver.py (one JSON object on stdout) so the Python matrix drives it
// like any Python adapter:
//
//   node bench/bullmq_node/bench.mjs version
//   node bench/bullmq_node/bench.mjs enqueue --n N --mode async|bulk|concurrent|fast|single|sync [--pad BYTES] [--warmup]
//   node bench/bullmq_node/bench.mjs latency --n N --rate PER_SECOND
//   node bench/bullmq_node/bench.mjs worker
//
// Environment: BENCH_REDIS_URL, BENCH_LEDGER_DIR (the worker appends `<index> <added at> <started
// at>` per job to <dir>/<pid>.txt, like bench/redis_side_by_side/ledger.py), BENCH_BODY (noop,
// roundtrip: one ECHO through its own ioredis client, sleep: 1 ms timer, payload: nothing; the
// producer adds 2 KB), BENCH_CONCURRENCY (default 1, BullMQ's own default).
import { openSync, writeSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";

const URL = process.env.BENCH_REDIS_URL || "redis://127.0.0.1:6379/0";
const QUEUE = "bench";
const BULK_SIZE = 1000;
const FAST_CONCURRENCY = 200;

/** Wall-clock seconds with sub-millisecond resolution (Date.now() has whole milliseconds). */
const now = () => (performance.timeOrigin + performance.now()) / 1000;

function connection() {
  return new IORedis(URL, { maxRetriesPerRequest: null });
}

function args(argv) {
  const out = { n: 0, mode: "single", pad: 0, rate: 100, warmup: false };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (key === "warmup") {
      out.warmup = true;
      i -= 1;
    } else out[key] = key === "mode" ? argv[i + 1] : Number(argv[i + 1]);
  }
  return out;
}

function version() {
  const here = dirname(fileURLToPath(import.meta.url));
  const pkg = (name) => JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8")).version;
  return `bullmq ${pkg("bullmq")} (ioredis ${pkg("ioredis")}, node ${process.version})`;
}

async function enqueue(queue, n, mode, pad) {
  const start = performance.now();
  if (mode === "bulk" || mode === "fast") {
    for (let base = 0; base < n; base += BULK_SIZE) {
      const jobs = [];
      for (let i = base; i < Math.min(base + BULK_SIZE, n); i++) jobs.push({ name: "noop", data: { i, t: 0, p: pad } });
      await queue.addBulk(jobs);
    }
  } else if (mode === "concurrent") {
    for (let base = 0; base < n; base += FAST_CONCURRENCY) {
      const adds = [];
      for (let i = base; i < Math.min(base + FAST_CONCURRENCY, n); i++) adds.push(queue.add("noop", { i, t: 0, p: pad }));
      await Promise.all(adds);
    }
  } else if (mode === "single" || mode === "async") {
    for (let i = 0; i < n; i++) await queue.add("noop", { i, t: 0, p: pad });
  } else {
    return null; // "sync": JavaScript has no blocking add
  }
  return (performance.now() - start) / 1000;
}

async function latency(queue, n, rate) {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const delay = start + (i * 1000) / rate - performance.now();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    await queue.add("noop", { i, t: now(), p: "" });
  }
  return (performance.now() - start) / 1000;
}

async function produce(action, opts) {
  const queue = new Queue(QUEUE, { connection: connection() });
  try {
    const pad = "x".repeat(opts.pad || 0);
    if (action === "enqueue" && opts.warmup) await enqueue(queue, 1, opts.mode, ""); // connections first, untimed
    if (action === "latency" && opts.warmup) await queue.add("noop", { i: -1, t: -1, p: "" }); // the ledger skips it
    const seconds = action === "enqueue" ? await enqueue(queue, opts.n, opts.mode, pad) : await latency(queue, opts.n, opts.rate);
    console.log(JSON.stringify({ seconds }));
  } finally {
    await queue.close();
  }
}

async function work() {
  const body = process.env.BENCH_BODY || "noop";
  const concurrency = Number(process.env.BENCH_CONCURRENCY || "1");
  const fd = openSync(join(process.env.BENCH_LEDGER_DIR, `${process.pid}.txt`), "a");
  const client = body === "roundtrip" ? connection() : null;
  const worker = new Worker(
    QUEUE,
    async (job) => {
      writeSync(fd, `${job.data.i} ${job.data.t} ${now()}\n`);
      if (body === "roundtrip") await client.echo("x");
      else if (body === "sleep") await new Promise((resolve) => setTimeout(resolve, 1));
    },
    { connection: connection(), concurrency },
  );
  const stop = async () => {
    await worker.close();
    if (client) client.disconnect();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

const [action, ...rest] = process.argv.slice(2);
if (action === "version") console.log(JSON.stringify({ version: version() }));
else if (action === "worker") await work();
else if (action === "enqueue" || action === "latency") {
  await produce(action, args(rest));
  process.exit(0);
} else {
  console.error(`unknown action ${action}: version, enqueue, latency or worker`);
  process.exit(2);
}
