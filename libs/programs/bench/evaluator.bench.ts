/**
 * Micro-benchmark of the evaluator alone: 10k programs over 10k devices (one program per device,
 * a mix of the four templates), fed a stream of readings as the controller would, plus a tick
 * sweep over all programs. Prints evaluations/s and per-evaluation latency percentiles, with and
 * without the JSON round trip the controller pays to keep state in Redis.
 *
 *   node -r @swc-node/register libs/programs/bench/evaluator.bench.ts [programs] [readings]
 *
 * The end-to-end target is 20k readings/s with p99 < 50 ms from gateway to published
 * command; the evaluator's share of that budget is what this measures.
 */
import {
  evaluate,
  idleShutdownTemplate,
  initialState,
  parseProgram,
  scheduleTemplate,
  thermostatTemplate,
  thresholdCutoffTemplate,
  type Program,
  type ProgramState,
} from '../src';

const PROGRAMS = Number(process.argv[2] ?? 10_000);
const READINGS = Number(process.argv[3] ?? 200_000);
const START = Date.UTC(2024, 5, 3, 6, 0, 0);

function makePrograms(count: number): Program[] {
  const programs: Program[] = [];
  for (let i = 0; i < count; i++) {
    const target = {
      id: `p-${i}`,
      tenant: 'acme',
      owner: 'bench',
      device: `dev-${i}`,
      actuator: `act-${i}`,
    };
    switch (i % 4) {
      case 0:
        programs.push(
          parseProgram(
            thermostatTemplate({ ...target, mode: 'cool', low: 26, high: 28, onDelay: '1m' }),
          ),
        );
        break;
      case 1:
        programs.push(
          parseProgram(
            idleShutdownTemplate({ ...target, metric: 'temperature', below: 22, window: '5m' }),
          ),
        );
        break;
      case 2:
        programs.push(
          parseProgram(
            scheduleTemplate({ ...target, from: '07:00', to: '19:00', timezone: 'Europe/Berlin' }),
          ),
        );
        break;
      default:
        programs.push(
          parseProgram(
            thresholdCutoffTemplate({ ...target, metric: 'temperature', limit: 33, for: '30s' }),
          ),
        );
    }
  }
  return programs;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function report(label: string, latenciesNs: Float64Array, totalMs: number, issued: number): void {
  const sorted = latenciesNs.slice().sort();
  const us = (ns: number) => (ns / 1000).toFixed(1);
  process.stdout.write(
    `${label.padEnd(34)} ${Math.round((latenciesNs.length / totalMs) * 1000)
      .toLocaleString('en-US')
      .padStart(
        9,
      )} evaluations/s   p50 ${us(percentile(sorted, 50))} µs   p99 ${us(percentile(sorted, 99))} µs   max ${us(sorted[sorted.length - 1])} µs   (${issued} actions)\n`,
  );
}

function stream(programs: readonly Program[], roundTrip: boolean): void {
  const states = new Map<string, string | ProgramState>();
  for (const program of programs)
    states.set(
      program.id,
      roundTrip ? JSON.stringify(initialState(program)) : initialState(program),
    );
  const temps = new Float64Array(programs.length).fill(25);
  const latencies = new Float64Array(READINGS);
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let issued = 0;
  // 20k readings/s of simulated time, spread over all devices.
  const stepMs = 1000 / 20_000;
  const started = process.hrtime.bigint();
  for (let i = 0; i < READINGS; i++) {
    const index = Math.floor(random() * programs.length);
    const program = programs[index];
    temps[index] += (25 + (index % 10) - temps[index]) * 0.05 + (random() - 0.5) * 2;
    const t0 = process.hrtime.bigint();
    const stored = states.get(program.id) as string | ProgramState;
    const state = typeof stored === 'string' ? (JSON.parse(stored) as ProgramState) : stored;
    const result = evaluate(
      program,
      state,
      {
        type: 'reading',
        tenant: 'acme',
        device: `dev-${index}`,
        metric: 'temperature',
        time: Math.floor(START + i * stepMs),
        value: temps[index],
      },
      { trace: false },
    );
    states.set(program.id, roundTrip ? JSON.stringify(result.state) : result.state);
    latencies[i] = Number(process.hrtime.bigint() - t0);
    issued += result.actions.length;
  }
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  report(
    roundTrip ? 'readings, state via JSON' : 'readings, state in memory',
    latencies,
    totalMs,
    issued,
  );

  // One timer tick over every program (what a 1 s controller timer costs per second).
  const tickTime = Math.floor(START + READINGS * stepMs) + 60_000;
  const tickLatencies = new Float64Array(programs.length);
  const tickStart = process.hrtime.bigint();
  let tickIssued = 0;
  programs.forEach((program, i) => {
    const t0 = process.hrtime.bigint();
    const stored = states.get(program.id) as string | ProgramState;
    const state = typeof stored === 'string' ? (JSON.parse(stored) as ProgramState) : stored;
    const result = evaluate(program, state, { type: 'tick', time: tickTime }, { trace: false });
    states.set(program.id, roundTrip ? JSON.stringify(result.state) : result.state);
    tickLatencies[i] = Number(process.hrtime.bigint() - t0);
    tickIssued += result.actions.length;
  });
  report(
    `tick sweep over ${programs.length} programs`,
    tickLatencies,
    Number(process.hrtime.bigint() - tickStart) / 1e6,
    tickIssued,
  );
}

const programs = makePrograms(PROGRAMS);
process.stdout.write(
  `${PROGRAMS} programs over ${PROGRAMS} devices, ${READINGS} readings (Node ${process.version})\n`,
);
stream(programs, false);
stream(programs, true);
