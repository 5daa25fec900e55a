import type { ActuatorCommand, ActuatorEvent } from '@sluice/contracts';
import type { ActuatorState } from '../fleet/actuator-state';

/** What the agent did with one command (kept for `GET /agent/commands` and tests). */
export interface ReceivedCommand {
  id: string;
  tenant: string;
  actuator: string;
  action: ActuatorCommand['action'];
  params: ActuatorCommand['params'];
  receivedAt: number;
  outcome: 'applied' | 'refused' | 'expired';
  /** Further deliveries of the same id (retries, replays): acknowledged again, never re-applied. */
  duplicates: number;
}

export interface AgentResult {
  /** The ack/nack to publish; null when the command is not for this fleet. */
  event: ActuatorEvent | null;
  duplicate: boolean;
}

type Kind = 'fan' | 'heater';

/** `sim-007-fan` → device `sim-007`, kind `fan`. */
export function parseActuatorId(actuator: string): { device: string; kind: string } | undefined {
  const dash = actuator.lastIndexOf('-');
  if (dash <= 0) return undefined;
  return { device: actuator.slice(0, dash), kind: actuator.slice(dash + 1) };
}

/**
 * The simulator's actuator agent: applies commands to the simulated fans and heaters once per
 * command id (a retry or replay is acknowledged again but not re-applied: a pulse must not run
 * twice), refuses expired ones, and answers with the actuator's state.
 */
export class ActuatorAgent {
  private readonly seen = new Map<string, ReceivedCommand>();
  private readonly pulseTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly actuatorsOf: (device: string) => ActuatorState | undefined,
    /** Ids remembered for deduplication (oldest forgotten first). */
    private readonly memory = 100_000,
  ) {}

  handle(command: ActuatorCommand, now: number): AgentResult {
    const target = parseActuatorId(command.actuator);
    const actuators = target ? this.actuatorsOf(target.device) : undefined;
    if (!target || !actuators) return { event: null, duplicate: false };
    const kind = target.kind;

    const known = this.seen.get(command.id);
    if (known) {
      known.duplicates++;
      return { event: this.event(command, actuators, kind, known.outcome, now), duplicate: true };
    }
    let outcome: ReceivedCommand['outcome'];
    if (command.expiresAt <= now) outcome = 'expired';
    else if (kind !== 'fan' && kind !== 'heater') outcome = 'refused';
    else outcome = this.apply(command, actuators, kind) ? 'applied' : 'refused';
    this.remember({
      id: command.id,
      tenant: command.tenant,
      actuator: command.actuator,
      action: command.action,
      params: command.params,
      receivedAt: now,
      outcome,
      duplicates: 0,
    });
    return { event: this.event(command, actuators, kind, outcome, now), duplicate: false };
  }

  received(): ReceivedCommand[] {
    return [...this.seen.values()];
  }

  stop(): void {
    for (const timer of this.pulseTimers) clearTimeout(timer);
    this.pulseTimers.clear();
  }

  private apply(command: ActuatorCommand, actuators: ActuatorState, kind: Kind): boolean {
    const set = (on: boolean) => (kind === 'fan' ? actuators.setFan(on) : actuators.setHeater(on));
    const isOn = () => actuators.snapshot()[kind];
    switch (command.action) {
      case 'set_state': {
        const state = command.params.state;
        if (state !== 'on' && state !== 'off') return false;
        set(state === 'on');
        return true;
      }
      case 'set_level': {
        const level = Number(command.params.level);
        if (!Number.isFinite(level)) return false;
        set(level > 0);
        return true;
      }
      case 'pulse': {
        const durationMs = Number(command.params.durationMs);
        if (!Number.isFinite(durationMs) || durationMs <= 0) return false;
        const before = isOn();
        set((command.params.state ?? 'on') === 'on');
        const timer = setTimeout(() => {
          this.pulseTimers.delete(timer);
          set(before);
        }, durationMs);
        timer.unref();
        this.pulseTimers.add(timer);
        return true;
      }
    }
  }

  private event(
    command: ActuatorCommand,
    actuators: ActuatorState,
    kind: string,
    outcome: ReceivedCommand['outcome'],
    now: number,
  ): ActuatorEvent {
    const snapshot = actuators.snapshot();
    const on = kind === 'fan' ? snapshot.fan : kind === 'heater' ? snapshot.heater : false;
    return {
      tenant: command.tenant,
      actuator: command.actuator,
      kind: outcome === 'applied' ? 'ack' : 'nack',
      commandId: command.id,
      state:
        outcome === 'applied'
          ? { state: on ? 'on' : 'off' }
          : { state: on ? 'on' : 'off', error: outcome },
      at: now,
    };
  }

  private remember(entry: ReceivedCommand): void {
    this.seen.set(entry.id, entry);
    if (this.seen.size > this.memory) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
