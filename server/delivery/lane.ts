import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logger.ts';
import { faultText, laneConditions } from '../jobs/condition-log.ts';
import { wakeableNap } from '../jobs/wakeable-nap.ts';

/** What a graceful stop did: rows handed back unsent, sends finished, outcomes not recorded. */
export interface StopReport {
  handedBack: number;
  finished: number;
  unrecorded: number;
}

/** A claimed row as the lane sees it: a key unique across the tables the channel claims from. */
export interface LaneRow {
  key: string;
}

/**
 * What a channel plugs into the lane: its queue's SQL (claim, extend, record, all beside the
 * domain's writes) and its sending. The lane owns everything else: what this process holds, the
 * heartbeat, the outcomes kept in memory until written, the back-off, the stop.
 */
export interface LaneChannel<Row extends LaneRow, Batch, Outcome> {
  /** The lane's name in the log ("webhooks", "outbox"). */
  name: string;
  /** Cheap check before a claim (a read, no write lock). */
  anyDue(now: Date): Promise<boolean>;
  /** Claims up to `limit` due rows under a lease running until `now + leaseMs`. */
  claim(now: Date, limit: number, leaseMs: number): Promise<Row[]>;
  /** Claims one named row now, due or not (the admin's "send a test"). */
  claimOne?(now: Date, key: string, leaseMs: number): Promise<Row[]>;
  /**
   * Reads what the claimed rows need to be sent, once per claim. When it throws nothing was sent:
   * the rows are handed back at once (`released`), not left for their lease to run out.
   */
  prepare(rows: Row[], now: Date): Promise<Batch>;
  /**
   * Sends one row and says what the receiver answered; never throws. `turn` is the lane's word
   * while it is under way (`SendTurn`).
   */
  send(row: Row, batch: Batch, turn: SendTurn<Outcome>): Promise<Outcome>;
  /** The outcome that hands an unsent row back (pending again, the attempt not counted). */
  released(row: Row): Outcome;
  /** Whether an outcome hands its row back unsent (`released`, or a send `mayStart` called off). */
  wasHandedBack(outcome: Outcome): boolean;
  /** Which row an outcome is about. */
  keyOf(outcome: Outcome): string;
  /**
   * Writes a group of outcomes in one short transaction; only rows this lane still holds change
   * (`heldBy` in server/domain/shared/in-list.ts: `sending` under its lease), so a
   * group written twice is harmless. Throws when it cannot (kept in memory and retried). May
   * return follow-up work run once the group is written (telling the admins).
   */
  record(group: Outcome[], now: Date): Promise<void | (() => Promise<void>)>;
  /** Pushes the lease of the rows this process holds. */
  extend(keys: string[], until: Date): Promise<void>;
  /**
   * How many rows to claim now, given how many this process holds; 0 waits. Without it a claim
   * takes whatever `maxInFlight` leaves free.
   */
  room?(held: number): number;
  /** A receiver shared by every row (the relay): closed while it refuses, probed, reopened. */
  gate?: LaneGate<Row, Outcome>;
}

/** What a channel asks the lane and tells it while one row's send is under way. */
export interface SendTurn<Outcome> {
  /**
   * Asked just before anything of the row is written (email: once an SMTP connection is free):
   * no after a stop began, while the relay refuses (but for its probe), or once the row's lease
   * ran short. Then nothing is written and the row is handed back (`released`).
   */
  mayStart(): boolean;
  /**
   * A refusal, told as soon as the receiver gives it, before the connection is handed to the
   * next row: the lane's gate closes before that row asks `mayStart`.
   */
  refused(outcome: Outcome): void;
}

/**
 * One receiver behind every row of a channel (email's relay). A refusal for now closes the gate:
 * what waits unstarted is handed back, nothing new is claimed, and one row at a time (due or
 * not) probes the receiver with backoff. The probe's success reopens it and makes every row that
 * met the refusal due at once, so a receiver that is back is used at full speed, not each row
 * after its own backoff. A success of another send while the gate is closed reopens it without
 * a release: that refusal was about one recipient, whose row keeps its backoff.
 */
export interface LaneGate<Row, Outcome> {
  /** Its name in the log's conditions ("relay") and in words ("the relay"). */
  name: string;
  what: string;
  /** What its rows are called in the log ("messages"). */
  rowWord: string;
  /** The receiver's refusal for now, in words, when an outcome is one; else null. */
  refusal(outcome: Outcome): string | null;
  /** Whether the receiver took the row. */
  accepted(outcome: Outcome): boolean;
  /** Claims one row to probe with, due or not; null when nothing is left to probe with. */
  claimProbe(now: Date, leaseMs: number): Promise<Row | null>;
  /** The receiver is back: makes every row that met its refusal since `since` due now. */
  release(since: Date, now: Date): Promise<number>;
  /**
   * At start: when the earliest refusal was that rows still back off from (a process before this
   * one met them), or null. The lane then probes first, so a receiver that is back by now gets
   * the whole queue at once, not each row after its own backoff.
   */
  refusedSince?(now: Date): Promise<{ since: Date; rows: number } | null>;
  /** The first and the longest pause between probes. */
  probeBaseMs: number;
  probeMaxMs: number;
  random: () => number;
}

/**
 * The lease of one claim's rows as this lane last wrote it (a time of `clock`): set by the claim,
 * pushed on by each heartbeat that lands while it still runs. `lost` once it ran out before a
 * heartbeat landed: another process may have taken the rows over since, so this lane starts
 * none of them. Kept (in `leases`) while any of its rows is not started yet.
 */
interface ClaimLease {
  until: number;
  lost: boolean;
  unstarted: number;
}

export interface LaneOptions {
  leaseMs: number;
  heartbeatMs: number;
  /** Pause between polls when there is nothing to send. */
  idleMs: number;
  /** Most rows held at once (claimed, not yet recorded). */
  maxInFlight: number;
  /** Most rows being sent at once; the rest of a claim waits, held, in the lane's queue. */
  concurrency: number;
  /** Outcomes are written this soon after the answer, in one group. */
  recordEveryMs?: number;
  /** Most outcomes written per transaction. */
  recordGroup?: number;
}

/**
 * The loop every delivery channel runs: claim due rows under a short lease, keep the lease alive
 * with a heartbeat while they are held, send them, queue each outcome in memory the moment the
 * receiver answers, write outcomes in small groups within milliseconds, and retry a group that
 * cannot be written before anything new is claimed; back off while claims fail; stop gracefully.
 * Guarantees and limits: server/delivery/README.md.
 */
export function createLane<Row extends LaneRow, Batch, Outcome>(
  channel: LaneChannel<Row, Batch, Outcome>,
  log: Logger,
  clock: { now(): Date },
  o: LaneOptions,
) {
  const recordEveryMs = o.recordEveryMs ?? 25;
  const recordGroup = o.recordGroup ?? 200;
  /** Rows claimed by this process and not yet recorded: never handed to the channel twice. */
  const held = new Map<string, Row>();
  const unrecorded: Outcome[] = [];
  /** Claimed rows not yet started; a stop hands them back. */
  const queue: {
    row: Row;
    batch: Batch;
    done?: (o: Outcome) => void;
    probe: boolean;
    lease: ClaimLease;
  }[] = [];
  const senders = new Set<Promise<void>>();
  let recordFailing = false;
  let flushing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  let running = false;
  /** Set by stop(): senders take nothing more from the queue; it is handed back. */
  let stopping = false;
  let pumpDone: Promise<void> = Promise.resolve();
  /** Rows whose send was called off by a stop before anything of them was written. */
  let calledOffInStop = 0;
  let heartbeat: NodeJS.Timeout | null = null;
  const { nap, wake } = wakeableNap();
  const condition = laneConditions(log, channel.name);
  const gate = channel.gate;
  const down = { since: null as Date | null, probeAt: 0, pause: 0, probing: false };
  /**
   * A row is handed to the channel only while at least this much of its lease is left: its send
   * and record then fit inside the lease however long the heartbeat cannot write (another
   * process holding the write lock, a full disk), so no other process takes over a row this one
   * is still sending. Heartbeats come every `heartbeatMs` (a fifth of the lease), so only
   * several missed ones in a row hold anything back.
   */
  const sendMarginMs = o.leaseMs / 2;
  /** Why the last heartbeat could not write, for the log when rows are held back. */
  let heartbeatFault: string | null = null;
  /** The leases of the claims with rows not started yet (queued, or waiting in the channel). */
  const leases = new Set<ClaimLease>();
  /** One of a claim's rows is started (sent, handed back or dropped). */
  const started = (lease: ClaimLease) => {
    if (--lease.unstarted <= 0) leases.delete(lease);
  };
  const rowWord = gate?.rowWord ?? 'deliveries';

  /** Hands back what was claimed and never started: pending again, the attempt not counted. */
  function handBack() {
    const back = queue.splice(0);
    for (const job of back) giveBack(job);
    return back.length;
  }

  /** Hands one claimed row back unstarted: pending again, the attempt not counted. */
  function giveBack(job: (typeof queue)[number]) {
    const outcome = channel.released(job.row);
    note(outcome);
    job.done?.(outcome);
    started(job.lease);
  }

  function judge(outcome: Outcome, probe: boolean) {
    if (!gate) return;
    const refusal = gate.refusal(outcome);
    if (refusal !== null) {
      condition(gate.name, 'refusing', `${gate.what} refuses ${gate.rowWord} for now: ${refusal}`);
      if (!down.since) {
        down.since = clock.now();
        down.pause = gate.probeBaseMs;
        handBack();
      } else if (probe) down.pause = Math.min(gate.probeMaxMs, down.pause * 2);
      // Sends that were already out when it started refusing do not push the probe on.
      else return;
      down.probeAt = Date.now() + Math.round(down.pause * (0.5 + gate.random() / 2));
    } else if (gate.accepted(outcome)) {
      condition(gate.name, null);
      if (down.since) void reopen(gate, probe);
    }
  }

  async function reopen(g: LaneGate<Row, Outcome>, probe: boolean) {
    const since = down.since!;
    down.since = null;
    if (!probe) return;
    // The outcomes of the outage must be written first, or their rows are not released.
    await flush();
    try {
      const n = await g.release(since, clock.now());
      if (n)
        log.info(
          `${channel.name}: ${g.what} is back; ${n} ${g.rowWord} that met its refusal go now`,
        );
    } catch (err) {
      log.error(
        `${channel.name}: could not release the rows held back by the outage: ${faultText(err)}`,
      );
    }
    wake();
  }

  /**
   * A refusal met before this process started (a restart while the relay was away) is taken up
   * where it was: the gate starts closed and the first thing sent is a probe.
   */
  async function resumeOutage() {
    if (!gate?.refusedSince) return;
    try {
      const found = await gate.refusedSince(clock.now());
      if (!found || down.since) return;
      down.since = found.since;
      down.pause = gate.probeBaseMs;
      down.probeAt = 0;
      log.info(
        `${channel.name}: ${found.rows} ${gate.rowWord} wait out ${gate.what}'s refusal from before this start; probing it first`,
      );
    } catch (err) {
      // The first claim finds out what the database says.
      log.debug(`${channel.name}: could not read earlier refusals: ${faultText(err)}`);
    }
  }

  /** One row to a receiver that refused: its answer reopens the gate or backs off further. */
  async function probe(g: LaneGate<Row, Outcome>) {
    const now = clock.now();
    const row = await g.claimProbe(now, o.leaseMs);
    if (!row || held.has(row.key)) {
      // Nothing left to probe with: the next claim finds out.
      down.since = null;
      condition(g.name, null);
      return;
    }
    await prepareAndQueue([row], now, true);
    // Wait for its answer (judge() reopens the gate or backs off).
    while (senders.size) await Promise.all([...senders]);
  }

  function note(outcome: Outcome) {
    unrecorded.push(outcome);
    scheduleFlush();
  }

  function scheduleFlush() {
    if (flushTimer || flushing) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      void flush();
    }, recordEveryMs);
  }

  /** Writes what the receivers said, group by group; keeps and retries what does not land. */
  function flush(): Promise<void> {
    if (flushing) return flushing;
    flushing = (async () => {
      let pause = 50;
      while (unrecorded.length) {
        const group = unrecorded.slice(0, recordGroup);
        let after: void | (() => Promise<void>);
        try {
          after = await channel.record(group, clock.now());
        } catch (err) {
          recordFailing = true;
          condition(
            'recording',
            faultText(err),
            `could not record outcomes yet, retrying in memory: ${faultText(err)}`,
          );
          await sleep(pause);
          pause = Math.min(2000, pause * 2);
          continue;
        }
        recordFailing = false;
        condition('recording', null);
        pause = 50;
        unrecorded.splice(0, group.length);
        for (const outcome of group) held.delete(channel.keyOf(outcome));
        if (after) await after();
        wake();
      }
    })().finally(() => {
      flushing = null;
      if (unrecorded.length) scheduleFlush();
    });
    return flushing;
  }

  /** Starts senders for what waits in the queue, up to `concurrency` of them. */
  function startSenders() {
    // Counted before any is started: each new sender takes a job from the queue at once, so
    // comparing with what is left would start only half as many (one for a claim of two).
    const wanted = Math.min(o.concurrency, senders.size + queue.length);
    while (senders.size < wanted && queue.length) {
      const sender = (async () => {
        const next = () => (stopping ? undefined : queue.shift());
        for (let job = next(); job; job = next()) {
          if (!leaseHolds(job.lease)) {
            // Less than half its lease is left: a heartbeat now, then look again (it may have
            // handed the row back); while none can be written the row waits.
            queue.unshift(job);
            holdBack(job.lease);
            if (await beat()) continue;
            break;
          }
          const { lease, probe } = job;
          // Asked once a connection is free: nothing more goes out after a stop began, nor to a
          // relay that refuses (but its probe), nor on a lease that ran short meanwhile.
          const turn: SendTurn<Outcome> = {
            // The gate holds rows back only while the running loop probes the relay: a single
            // claim (runOnce) with the relay refusing sends, as each claim is then its probe.
            mayStart: () =>
              !stopping && (probe || !running || down.since === null) && leaseHolds(lease),
            refused: (o) => {
              if (!probe) judge(o, false);
            },
          };
          const outcome = await channel.send(job.row, job.batch, turn);
          if (stopping && channel.wasHandedBack(outcome)) calledOffInStop += 1;
          started(lease);
          note(outcome);
          job.done?.(outcome);
          judge(outcome, job.probe);
        }
      })();
      senders.add(sender);
      void sender.finally(() => senders.delete(sender));
    }
  }

  function leaseHolds(lease: ClaimLease): boolean {
    return !lease.lost && lease.until - clock.now().getTime() >= sendMarginMs;
  }

  /** Says once, while the heartbeat cannot be written, that rows wait for it. */
  function holdBack(lease: ClaimLease) {
    if (heartbeatFault === null) return;
    const left = Math.max(0, Math.round((lease.until - clock.now().getTime()) / 1000));
    condition(
      'lease',
      'held back',
      `holding back ${queue.length} ${rowWord}: their lease ends in ${left} s and the heartbeat cannot extend it (${heartbeatFault}); they go once it does, or to whichever process takes them over`,
    );
  }

  /**
   * A heartbeat that started at `from` wrote `until` for every row held then, and landed at
   * `landed`. The claims of `those` (the leases known when it started) still running then hold
   * on; those that had run out may have been taken over by another process: what of them waits
   * unsent is handed back (pending again, only if this lane still holds it), and the senders
   * start again.
   */
  function renew(those: ClaimLease[], until: number, landed: number) {
    for (const lease of those) {
      if (lease.lost) continue;
      if (lease.until > landed) lease.until = Math.max(lease.until, until);
      else lease.lost = true;
    }
    let handed = 0;
    for (let i = queue.length - 1; i >= 0; i--) {
      const job = queue[i]!;
      if (!job.lease.lost) continue;
      queue.splice(i, 1);
      giveBack(job);
      handed += 1;
    }
    if (handed)
      log.info(
        `${channel.name}: ${handed} ${rowWord} handed back unsent: their lease ran out before the heartbeat could extend it, so another process may have taken them over; they go from whichever process claims them`,
      );
    condition('lease', null);
    startSenders();
  }

  /**
   * Claims (due rows, or the one named) and queues them for sending; returns how many. `done`
   * hears each outcome (no promise per row: a claim holds hundreds of rows).
   */
  async function claimAndSend(
    now: Date,
    limit: number,
    only?: string,
    done?: (o: Outcome) => void,
  ): Promise<number> {
    const claimed = (
      only !== undefined
        ? ((await channel.claimOne?.(now, only, o.leaseMs)) ?? [])
        : await channel.claim(now, limit, o.leaseMs)
    ).filter((row) => !held.has(row.key));
    return prepareAndQueue(claimed, now, false, done);
  }

  async function prepareAndQueue(
    claimed: Row[],
    now: Date,
    probe: boolean,
    done?: (o: Outcome) => void,
  ): Promise<number> {
    for (const row of claimed) held.set(row.key, row);
    if (claimed.length === 0) return 0;
    let batch: Batch;
    try {
      batch = await channel.prepare(claimed, now);
    } catch (err) {
      for (const row of claimed) note(channel.released(row));
      throw err;
    }
    const lease: ClaimLease = {
      until: now.getTime() + o.leaseMs,
      lost: false,
      unstarted: claimed.length,
    };
    leases.add(lease);
    for (const row of claimed) queue.push({ row, batch, done, probe, lease });
    startSenders();
    return claimed.length;
  }

  /** Waits for every send in flight and its record; at `deadline`, returns what is left. */
  async function settle(deadline = Infinity): Promise<number> {
    while (senders.size) await Promise.all([...senders]);
    // Without the running loop's heartbeat (a single claim, a test's send), rows whose lease
    // could not be extended are handed back rather than left waiting for one.
    if (!running && queue.length) handBack();
    if (flushTimer) {
      clearTimeout(flushTimer);
      flushTimer = null;
    }
    while ((unrecorded.length || flushing) && Date.now() < deadline)
      await Promise.race([flush(), sleep(Math.max(0, Math.min(1000, deadline - Date.now())))]);
    return unrecorded.length;
  }

  let beating: Promise<boolean> | null = null;
  /**
   * Extends the lease of every row held; true when it landed. One at a time: a caller while one
   * is under way gets its answer.
   */
  function beat(): Promise<boolean> {
    if (beating) return beating;
    if (held.size === 0) return Promise.resolve(true);
    beating = (async () => {
      const from = clock.now().getTime();
      const those = [...leases];
      // A lease that ran out before this heartbeat may have been taken over already.
      for (const lease of those) if (lease.until <= from) lease.lost = true;
      const until = from + o.leaseMs;
      try {
        await channel.extend([...held.keys()], new Date(until));
        heartbeatFault = null;
        condition('heartbeat', null);
        renew(those, until, clock.now().getTime());
        return true;
      } catch (err) {
        heartbeatFault = faultText(err);
        condition('heartbeat', heartbeatFault, `could not extend leases: ${heartbeatFault}`);
        return false;
      }
    })().finally(() => (beating = null));
    return beating;
  }

  async function pump() {
    let pause = 200;
    while (running) {
      // A failed recording is retried before anything new is claimed.
      if (recordFailing) {
        await nap(o.idleMs);
        continue;
      }
      if (gate && down.since) {
        if (down.probing || Date.now() < down.probeAt) {
          await nap(Math.max(1, Math.min(o.idleMs, down.probeAt - Date.now())));
          continue;
        }
        // The refusals are written first (the flush wakes this loop): a row whose refusal is
        // still only in memory is `sending` in the database, and a probe that found no row
        // would call the outage over, leaving every row to its own backoff.
        if (unrecorded.length) {
          void flush();
          await nap(o.idleMs);
          continue;
        }
        down.probing = true;
        try {
          await probe(gate);
          condition('database', null);
        } catch (err) {
          condition('database', faultText(err), `cannot claim: ${faultText(err)}; backing off`);
          down.probeAt = Date.now() + pause;
        } finally {
          down.probing = false;
        }
        continue;
      }
      const room = Math.min(
        o.maxInFlight - held.size,
        channel.room ? channel.room(held.size) : Infinity,
      );
      if (room <= 0) {
        await nap(o.idleMs);
        continue;
      }
      let n = 0;
      try {
        const now = clock.now();
        if (await channel.anyDue(now)) n = await claimAndSend(now, room);
        condition('database', null);
        pause = 200;
      } catch (err) {
        condition('database', faultText(err), `cannot claim: ${faultText(err)}; backing off`);
        await nap(pause);
        pause = Math.min(5000, pause * 2);
        continue;
      }
      if (n === 0) await nap(o.idleMs);
    }
  }

  return {
    /** Rows this process holds now (claimed, not yet recorded). */
    inFlight: () => held.size,
    /**
     * New rows may be due (another part of Herald just wrote some): the loop looks now instead
     * of at the end of its idle pause. Harmless when nothing is due or the loop is busy.
     */
    wake,
    /**
     * Sends everything due now, claim by claim, recording each before the next; returns how many
     * rows it handled. What tests drive with a manual clock.
     */
    async runOnce(): Promise<number> {
      let total = 0;
      // After a stop every send is called off: nothing would ever leave the loop.
      while (!stopping && (await channel.anyDue(clock.now()))) {
        const n = await claimAndSend(clock.now(), Math.max(0, o.maxInFlight - held.size));
        await settle();
        if (n === 0) break;
        total += n;
      }
      return total;
    },
    /**
     * One claim of at most `limit` due rows, sent and recorded; returns how many it claimed.
     * What tests drive a step at a time.
     */
    async claimOnce(limit: number): Promise<number> {
      const now = clock.now();
      if (!(await channel.anyDue(now))) return 0;
      const n = await claimAndSend(now, Math.min(limit, o.maxInFlight - held.size));
      await settle();
      return n;
    },
    /** Claims one row now, due or not, sends it, records it and returns its outcome. */
    async sendNow(key: string): Promise<Outcome | null> {
      let result: Outcome | null = null;
      const n = await claimAndSend(clock.now(), 1, key, (o) => (result = o));
      if (n === 0) return null;
      await settle();
      return result;
    },
    /** Runs until stop(): claims as room frees up, with a heartbeat on what it holds. */
    start() {
      if (running) return;
      running = true;
      stopping = false;
      heartbeat = setInterval(() => void beat(), o.heartbeatMs);
      pumpDone = resumeOutage().then(pump);
    },
    /**
     * A graceful stop: claims nothing more, hands the channel nothing more from the moment it is
     * called, hands back what was claimed but never started (released with the first write that
     * lands, not left to its lease), lets every send already started answer and records it.
     * Recording is retried for up to `recordWaitMs`; what is still unrecorded then is returned
     * (its rows come back when their lease runs out, and may go twice).
     */
    async stop(recordWaitMs = 30_000): Promise<StopReport> {
      running = false;
      stopping = true;
      calledOffInStop = 0;
      wake();
      // The sends started before the stop: counted now, since the hand-back's outcomes may be
      // recorded (and leave `held`) before the pump is done.
      const finished = held.size - queue.length;
      // Handed back at once, not once the pump notices the stop: it may be waiting for another
      // process's write lock or on a probe, and what waits in the queue is not to be sent now.
      // Again after it: a claim it had under way may have queued more (`stopping` keeps the
      // senders off it).
      let handedBack = handBack();
      await pumpDone;
      handedBack += handBack();
      const left = await settle(Date.now() + recordWaitMs);
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
      // Sends under way when the stop began but still waiting for a connection were called off.
      return {
        handedBack: handedBack + calledOffInStop,
        finished: finished - calledOffInStop,
        unrecorded: left,
      };
    },
  };
}
