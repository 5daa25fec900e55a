import { Injectable } from '@nestjs/common';
import { createCounter, createHistogram } from '@sluice/metrics';
import {
  evaluate,
  ProgramInputError,
  type AlertAction,
  type ProgramEvent,
  type ProgramState,
} from '@sluice/programs';
import { CommandsService, type ProgramCommandInput } from '../commands/commands.service';
import { ProgramCatalog, type RunnableProgram } from '../programs/program-catalog';
import { KeyedMutex } from './keyed-mutex';
import {
  ProgramStateConflictError,
  ProgramStateStore,
  type ConsumedRange,
} from './program-state.store';

const evaluations = createCounter({
  name: 'sluice_actuator_controller_evaluations_total',
  help: 'Program evaluations, by input (reading, tick)',
  labelNames: ['input'] as const,
});

const evaluationBatchSeconds = createHistogram({
  name: 'sluice_actuator_controller_evaluation_batch_seconds',
  help: 'Time to evaluate one batch (load states, evaluate, persist and publish commands, save states)',
  labelNames: ['input'] as const,
});

const stateConflicts = createCounter({
  name: 'sluice_actuator_controller_state_conflicts_total',
  help: 'Evaluation rounds evaluated again because another replica saved a program state they had loaded, by input (reading, tick)',
  labelNames: ['input'] as const,
});

/** Rounds of one batch before a state conflict is left to the caller (the consumer retries the batch). */
const ROUNDS_PER_CONFLICT = 5;

export interface DeviceReadings {
  tenant: string;
  device: string;
  readings: ReadonlyArray<{ metric: string; time: number; value: number }>;
  /** Gateway accept time, for the reading → command latency. */
  ingestTs?: number;
  /** The device's programs, when the caller has already looked them up in the catalog. */
  programs?: readonly RunnableProgram[];
}

/**
 * Runs the programs on their inputs. For each batch: lock the programs concerned, load their
 * states from Redis, evaluate every input in order, persist the resulting commands, then publish
 * them while the states are saved. A crash before the states are saved replays the inputs from
 * the old states, which yields the same idempotency keys, so the commands are not issued twice.
 */
@Injectable()
export class EvaluationService {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly catalog: ProgramCatalog,
    private readonly states: ProgramStateStore,
    private readonly commands: CommandsService,
  ) {}

  /**
   * `range`: where the batch sits in its partition, when it is a consumed batch; the states of its
   * reading-driven programs are then kept in memory for the partition's next batch.
   */
  async evaluateReadings(batches: readonly DeviceReadings[], range?: ConsumedRange): Promise<void> {
    const involved = new Map<string, RunnableProgram>();
    const inputs: Array<{ batch: DeviceReadings; programs: readonly RunnableProgram[] }> = [];
    for (const batch of batches) {
      const programs = batch.programs ?? this.catalog.forDevice(batch.tenant, batch.device);
      if (programs.length === 0) continue;
      inputs.push({ batch, programs });
      for (const entry of programs) involved.set(entry.key, entry);
    }
    if (involved.size === 0) {
      if (range !== undefined) this.states.remember(range);
      return;
    }
    await this.run('reading', [...involved.values()], range, (step) => {
      for (const { batch, programs } of inputs) {
        for (const reading of batch.readings) {
          const event: ProgramEvent = {
            type: 'reading',
            tenant: batch.tenant,
            device: batch.device,
            metric: reading.metric,
            time: reading.time,
            value: reading.value,
          };
          for (const entry of programs) step(entry, event, batch.ingestTs);
        }
      }
    });
  }

  /** Lets time pass for programs whose verdict depends on it (`for`, schedules, windows). */
  async tick(programs: readonly RunnableProgram[], now: number): Promise<void> {
    if (programs.length === 0) return;
    const tick: ProgramEvent = { type: 'tick', time: now };
    await this.run('tick', programs, undefined, (step) => {
      for (const entry of programs) step(entry, tick, undefined);
    });
  }

  /**
   * Evaluates `programs` under their locks, in rounds (see `untilSaved`): load the states, let
   * `feed` step each program through its events, persist and publish the commands, save the states.
   */
  private async run(
    input: 'reading' | 'tick',
    programs: readonly RunnableProgram[],
    range: ConsumedRange | undefined,
    feed: (step: (entry: RunnableProgram, event: ProgramEvent, ingestTs?: number) => void) => void,
  ): Promise<void> {
    const stopTimer = evaluationBatchSeconds.startTimer({ input });
    await this.mutex.run(
      programs.map((entry) => entry.key),
      () =>
        this.untilSaved(input, async () => {
          const states = await this.states.load(programs, range);
          const loaded = new Map(states);
          const changed = new Set<string>();
          const commands: ProgramCommandInput[] = [];
          const alerts: AlertAction[] = [];
          let count = 0;
          feed((entry, event, ingestTs) => {
            count++;
            this.step(entry, states, changed, event, ingestTs, commands, alerts);
          });
          evaluations.inc({ input }, count);
          await this.conclude(commands, alerts, () =>
            this.states.save(programs, states, changed, loaded, range),
          );
        }),
    );
    stopTimer();
  }

  /**
   * Runs a round again while another replica's save of one of its programs makes it conflict (see
   * `ProgramStateStore`): each round loads the states afresh. Commands a conflicting round already
   * persisted keep their idempotency keys, so the next round issuing the same decision adds none.
   */
  private async untilSaved(input: 'reading' | 'tick', round: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await round();
      } catch (error) {
        if (!(error instanceof ProgramStateConflictError) || attempt >= ROUNDS_PER_CONFLICT)
          throw error;
        stateConflicts.inc({ input });
      }
    }
  }

  /**
   * The effects of one evaluation round, in the order a crash needs: commands persisted before the
   * states that count them are saved (a replay from the old states re-creates the same idempotency
   * keys), alerts published before that too (they have no outbox). Publishing the persisted
   * commands runs alongside the save: if it fails, the rows wait in the outbox for the sweep.
   */
  private async conclude(
    commands: readonly ProgramCommandInput[],
    alerts: readonly AlertAction[],
    saveStates: () => Promise<void>,
  ): Promise<void> {
    const persisted = await this.commands.persistProgramCommands(commands);
    // both settle before the programs' lock is released, so a retry never loads a state mid-save
    const outcomes = await Promise.allSettled([
      this.commands.publishProgramCommands(persisted),
      this.commands.raiseProgramAlerts(alerts).then(saveStates),
    ]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }

  private step(
    entry: RunnableProgram,
    states: Map<string, ProgramState>,
    changed: Set<string>,
    event: ProgramEvent,
    ingestTs: number | undefined,
    commands: ProgramCommandInput[],
    alerts: AlertAction[],
  ): void {
    const state = states.get(entry.key);
    if (state === undefined) throw new Error(`no state loaded for program ${entry.key}`);
    let result;
    try {
      result = evaluate(entry.program, state, event, { trace: false });
    } catch (error) {
      // a non-finite value is the reading's fault, not the program's: skip it
      if (error instanceof ProgramInputError) return;
      throw error;
    }
    states.set(entry.key, result.state);
    changed.add(entry.key);
    for (const action of result.actions) {
      if (action.kind === 'command') commands.push({ action, ingestTs });
      else alerts.push(action);
    }
  }
}
