import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { AppProcess, buildIfNeeded } from './fixtures/app-process.js';
import {
  controlClient,
  fillRedis,
  readVideo,
  REQUEST_TIMEOUT_MS,
  sleep,
  STALENESS_BOUND_MS,
  startReplicas,
  unfillRedis,
  writeTitle,
} from './fixtures/coherence.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import {
  checkPhase,
  formatReports,
  History,
  titleFor,
  type Operation,
  type PhaseReport,
} from './fixtures/history.js';
import { freePort, RedisServerProcess, uniquePrefix } from './fixtures/redis.js';
import { TcpProxy } from './fixtures/tcp-proxy.js';

/**
 * A history checker of the staleness bound: three replicas (real processes) on one database and a
 * Redis server of the test's own, concurrent writers and readers over a few dozen videos, one phase
 * per fault injected into Redis while they run, and a check of every read against every
 * acknowledged write (see `checkPhase`). Replica 0 reaches Redis through a proxy, so that one
 * replica alone can be cut off or lose bytes.
 *
 * `HISTORY_SOAK_SECONDS=<n>` runs each phase for n seconds instead of the short default;
 * `HISTORY_B_MS` sets the bound checked (300 ms by default).
 */

const SOAK_SECONDS = Number(process.env.HISTORY_SOAK_SECONDS ?? 0);
if (!(SOAK_SECONDS >= 0)) throw new Error(`HISTORY_SOAK_SECONDS must be a number of seconds`);
const PHASE_MS = SOAK_SECONDS > 0 ? SOAK_SECONDS * 1_000 : 10_000;
/** Within a phase: the fault starts after this share of it and is healed after this one. */
const INJECT_AT = 0.2;
const HEAL_AT = 0.6;
const KEY_COUNT = 24;
const WRITERS = 3;
const READERS_PER_REPLICA = 2;
/** Pause between two writes of one writer, so reads outnumber writes and race them. */
const WRITE_GAP_MS = 10;
/** No loop runs more operations than this per second of phase, however fast the service answers. */
const MAX_OPS_PER_SECOND = 500;
/** How long the settling after a phase waits for every replica to be ready again. */
const SETTLE_READY_MS = 15_000;

const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => `vid_${String(i + 1).padStart(6, '0')}`);

interface Rig {
  redis: RedisServerProcess;
  control: Redis;
  proxy: TcpProxy;
  database: TestDatabase;
  replicas: AppProcess[];
}

/** A fault: injected once (or every `repeatEveryMs`) during a phase, then healed. */
interface Fault {
  name: string;
  inject(rig: Rig): Promise<void> | void;
  heal(rig: Rig): Promise<void> | void;
  repeatEveryMs?: number;
}

const noop = () => undefined;

const FAULTS: readonly Fault[] = [
  // Also the case of readers racing their own replica's write, which every phase has.
  { name: 'baseline', inject: noop, heal: noop },
  {
    name: 'pubsub-kill',
    // Subscribers are cut again and again: messages published while one is away are lost.
    inject: async (rig) => void (await rig.control.client('KILL', 'TYPE', 'pubsub')),
    heal: noop,
    repeatEveryMs: 400,
  },
  { name: 'redis-sigstop', inject: (rig) => rig.redis.pause(), heal: (rig) => rig.redis.resume() },
  {
    name: 'redis-full',
    inject: async (rig) => void (await fillRedis(rig.control)),
    heal: (rig) => unfillRedis(rig.control),
  },
  {
    name: 'redis-restart-empty',
    inject: (rig) => rig.redis.kill(),
    heal: (rig) => rig.redis.restartEmpty(),
  },
  { name: 'proxy-stall-one', inject: (rig) => rig.proxy.stall(), heal: (rig) => rig.proxy.resume() },
  // Last: the replica whose connection lost bytes may be left unable to use Redis.
  { name: 'proxy-drop-one', inject: (rig) => rig.proxy.dropBytes(), heal: (rig) => rig.proxy.resume() },
];

/** What readers need to race writers: the key each writer is writing now, and where. */
type InFlight = Map<number, { key: string; replica: number }>;

/**
 * The load of one phase until `until`: each key has exactly one writer, which waits for every
 * answer before its next write, so the numbers in the titles order a key's writes as they were
 * applied. A write that got no answer may still be applied later, after the next one: its key
 * gets no more writes in this phase. Half the reads go to a key being written, on the replica
 * writing it.
 */
async function runLoad(rig: Rig, history: History, phase: string, until: number, nextSeq: () => number) {
  const maxOps = Math.ceil((PHASE_MS / 1_000) * MAX_OPS_PER_SECOND);
  const inFlight: InFlight = new Map();
  const replicaCount = rig.replicas.length;

  const writer = async (w: number) => {
    const own = KEYS.filter((_, i) => i % WRITERS === w);
    for (let n = 0; n < maxOps && own.length > 0 && performance.now() < until; n++) {
      const key = own[n % own.length]!;
      const replica = (n + w) % replicaCount;
      const title = titleFor(w, nextSeq());
      inFlight.set(w, { key, replica });
      const response = await writeTitle(rig.replicas[replica]!, key, title);
      inFlight.delete(w);
      history.record({ ...response, kind: 'write', phase, key, replica, value: title });
      if (typeof response.status !== 'number') own.splice(own.indexOf(key), 1);
      await sleep(WRITE_GAP_MS);
    }
  };

  const reader = async (home: number) => {
    for (let n = 0; n < maxOps && performance.now() < until; n++) {
      const racing =
        Math.random() < 0.5 ? [...inFlight.values()][Math.floor(Math.random() * WRITERS)] : undefined;
      const key = racing?.key ?? KEYS[Math.floor(Math.random() * KEYS.length)]!;
      const replica = racing?.replica ?? home;
      const response = await readVideo(rig.replicas[replica]!, key);
      history.record({ ...response, kind: 'read', phase, key, replica, value: response.title });
    }
  };

  await Promise.all([
    ...Array.from({ length: WRITERS }, (_, w) => writer(w)),
    ...rig.replicas.flatMap((_, r) => Array.from({ length: READERS_PER_REPLICA }, () => reader(r))),
  ]);
}

/** Injects the fault at its time in the phase (again every `repeatEveryMs`), and always heals it. */
async function driveFault(rig: Rig, fault: Fault, started: number): Promise<void> {
  const injectAt = started + PHASE_MS * INJECT_AT;
  const healAt = started + PHASE_MS * HEAL_AT;
  await sleep(Math.max(0, injectAt - performance.now()));
  try {
    do {
      await fault.inject(rig);
      await sleep(Math.max(0, Math.min(fault.repeatEveryMs ?? Infinity, healAt - performance.now())));
    } while (performance.now() < healAt);
  } finally {
    await fault.heal(rig);
  }
}

/**
 * Between phases: waits (bounded) for every replica to be ready, then reads every key on every
 * replica, recorded as the end of the phase before (what a fault leaves behind is its own).
 * Returns the ms it took for all to be ready, or undefined if some never were.
 */
async function settle(rig: Rig, history: History, phase: string): Promise<number | undefined> {
  const started = performance.now();
  let ready: number | undefined = 0;
  const deadline = started + SETTLE_READY_MS;
  for (const replica of rig.replicas) {
    for (;;) {
      const status = await replica
        .fetch('/health/ready')
        .then((response) => response.status)
        .catch(() => 0);
      if (status === 200) break;
      if (performance.now() > deadline) {
        ready = undefined;
        break;
      }
      await sleep(100);
    }
  }
  if (ready !== undefined) ready = performance.now() - started;
  for (const [r, replica] of rig.replicas.entries()) {
    await Promise.all(
      KEYS.map(async (key) => {
        const response = await readVideo(replica, key);
        history.record({ ...response, kind: 'read', phase, key, replica: r, value: response.title });
      }),
    );
  }
  return ready;
}

describe('history checker: no acknowledged write is undone, whatever Redis does', () => {
  const history = new History();
  const reports: PhaseReport[] = [];
  const readiness: string[] = [];
  let seq = 0;
  let rig: Rig | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    buildIfNeeded();
    const redis = new RedisServerProcess(await freePort());
    cleanups.push(() => redis.stop());
    await redis.start();
    const control = controlClient(redis.url);
    cleanups.push(() => control.disconnect());
    const proxy = new TcpProxy({ host: '127.0.0.1', port: redis.port });
    cleanups.push(() => proxy.close());
    const proxyPort = await proxy.listen();
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const replicas = await startReplicas({ prefix: uniquePrefix('history'), database }, [
      `redis://127.0.0.1:${proxyPort}`,
      redis.url,
      redis.url,
    ]);
    cleanups.push(() => Promise.all(replicas.map((replica) => replica.stop())).then(noop));
    rig = { redis, control, proxy, database, replicas };

    // The titles before any write are each key's sequence 0.
    for (const key of KEYS) {
      const response = await readVideo(replicas[0]!, key);
      if (response.title === undefined) throw new Error(`no video ${key}: ${String(response.status)}`);
      history.initial.set(key, response.title);
    }
    await settle(rig, history, FAULTS[0]!.name);
  }, 180_000);

  afterAll(async () => {
    if (reports.length > 0)
      console.log(`${formatReports(reports, STALENESS_BOUND_MS, false)}\n${readiness.join('\n')}`);
    // Stops in the reverse order of starting, each whatever happened to the others.
    for (const cleanup of cleanups.toReversed()) await Promise.resolve(cleanup()).catch(noop);
  }, 60_000);

  it.each(FAULTS.map((fault) => [fault.name, fault] as const))(
    '%s: every read that starts more than B ms after a write answered 2xx sees it or newer, and nothing answers 500',
    async (name, fault) => {
      const current = rig!;
      // Act: load and fault together, then the settling that ends the phase.
      const started = performance.now();
      const until = started + PHASE_MS;
      const load = runLoad(current, history, name, until, () => ++seq);
      try {
        await driveFault(current, fault, started);
      } finally {
        await load;
      }
      const ready = await settle(current, history, name);
      const settled =
        ready === undefined
          ? `NOT every replica ready within ${SETTLE_READY_MS} ms after the phase`
          : `all replicas ready ${ready.toFixed(0)} ms after the phase`;
      // Shows that the dropping phase did lose bytes (the count is cumulative).
      readiness.push(`${name}: ${settled}; the proxy has dropped ${current.proxy.droppedBytes} bytes so far`);

      // Assert.
      const report = checkPhase(history, name, STALENESS_BOUND_MS);
      history.forgetReads(name);
      reports.push(report);
      console.log(formatReports([report], STALENESS_BOUND_MS));
      expect(report.reads).toBeGreaterThan(0);
      expect(report.acknowledgedWrites).toBeGreaterThan(0);
      expect({ violations: report.violations.length, serverErrors: report.serverErrors }).toEqual({
        violations: 0,
        serverErrors: 0,
      });
    },
    PHASE_MS + SETTLE_READY_MS + 3 * REQUEST_TIMEOUT_MS + 30_000,
  );
});

describe('the history checker itself, on a history written by hand', () => {
  const op = (fields: Partial<Operation> & Pick<Operation, 'kind' | 'start' | 'end'>): Operation => ({
    phase: 'p',
    key: 'k',
    replica: 0,
    status: 200,
    title: undefined,
    tier: 'l1',
    value: undefined,
    ...fields,
  });

  it('flags reads older than a write acknowledged more than B before, values never written and values from the future; not unacknowledged writes', () => {
    const history = new History();
    history.initial.set('k', 'seed');
    history.initial.set('other', 'seed of other');
    const first = titleFor(0, 1);
    const refused = titleFor(0, 2);
    const third = titleFor(0, 3);
    const writes = [
      op({ kind: 'write', start: 90, end: 100, value: first }),
      op({ kind: 'write', start: 500, end: 510, value: refused, status: 503 }),
      op({ kind: 'write', start: 1_990, end: 2_000, value: third }),
    ];
    const reads = {
      withinBound: op({ kind: 'read', start: 350, end: 360, value: 'seed' }),
      pastBound: op({ kind: 'read', start: 450, end: 460, value: 'seed' }),
      current: op({ kind: 'read', start: 450, end: 460, value: first }),
      // A 503 write may have happened or not: neither seeing it nor missing it is an error.
      sawRefused: op({ kind: 'read', start: 600, end: 610, value: refused }),
      missedRefused: op({ kind: 'read', start: 1_000, end: 1_010, value: first }),
      anotherKeys: op({ kind: 'read', start: 1_000, end: 1_010, value: 'seed of other' }),
      neverWritten: op({ kind: 'read', start: 1_000, end: 1_010, value: titleFor(9, 99) }),
      future: op({ kind: 'read', start: 40, end: 50, value: first }),
      unavailable: op({ kind: 'read', start: 1_000, end: 1_010, status: 503 }),
      serverError: op({ kind: 'read', start: 1_000, end: 1_010, status: 500 }),
      // Both older than the third write, acknowledged 500 ms before they started.
      refusedPastThird: op({ kind: 'read', start: 2_500, end: 2_510, value: refused }),
      firstPastThird: op({ kind: 'read', start: 2_500, end: 2_510, value: first, tier: 'l2', replica: 1 }),
    };
    for (const operation of [...writes, ...Object.values(reads)]) history.record(operation);

    const report = checkPhase(history, 'p', 300);

    expect(report.violations.map((v) => [v.read, v.reason, v.stalenessMs, v.expected])).toEqual([
      [reads.pastBound, 'stale', 350, first],
      [reads.anotherKeys, 'foreign', 0, undefined],
      [reads.neverWritten, 'foreign', 0, undefined],
      [reads.future, 'future', 0, undefined],
      [reads.refusedPastThird, 'stale', 500, third],
      [reads.firstPastThird, 'stale', 500, third],
    ]);
    expect(report).toMatchObject({
      operations: 15,
      reads: 12,
      writes: 3,
      acknowledgedWrites: 2,
      staleReads: 4,
      worstStalenessMs: 500,
      serverErrors: 1,
      outcomes: { 'read 200': 10, 'read 503': 1, 'read 500': 1, 'write 200': 2, 'write 503': 1 },
      violationsByTier: { l1: 5, l2: 1 },
      violationsOnWritingReplica: 2,
    });
    history.forgetReads('p');
    expect(history.operations).toEqual(writes);
  });
});
