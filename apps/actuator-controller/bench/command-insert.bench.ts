/**
 * The command insert on its own: batches of BENCH_BATCHES commands (330 and 2000 by default, the
 * second like a schedule switching many actuators at once) over 2000 actuators that already have
 * BENCH_HISTORY finished commands each, into a fresh schema on PostgreSQL. Prints the time of each
 * insert statement (p50 and max of BENCH_ROUNDS rounds per size). Between rounds the new commands
 * are marked sent, as the outbox does within milliseconds, so pending rows stay few as in production.
 */
import { randomUUID } from 'node:crypto';
import { createPgPool, runMigrations } from '@sluice/db';
import { createTestSchema, dropTestSchema } from '@sluice/testing';
import { CommandsRepository, type NewCommand } from '../src/commands/commands.repository';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ACTUATORS = 2000;
const history = Number(process.env.BENCH_HISTORY ?? 20);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
const sizes = (process.env.BENCH_BATCHES ?? '330,2000').split(',').map(Number);

async function main(): Promise<void> {
  const admin = createPgPool({ url: DATABASE_URL, max: 1 });
  const schema = await createTestSchema(admin, 'bench_command_insert');
  const pool = createPgPool({ url: DATABASE_URL, max: 1, schema });
  try {
    await runMigrations(DATABASE_URL, { schema });
    const commands = new CommandsRepository(pool);
    let seq = 0;
    const command = (actuator: number): NewCommand => {
      const now = Date.now();
      seq += 1;
      return {
        id: randomUUID(),
        idempotencyKey: `bench-${actuator}:v1:act-${actuator}:${seq}`,
        tenant: 'bench',
        actuator: `act-${actuator}`,
        action: 'set_state',
        params: { state: seq % 2 === 0 ? 'on' : 'off' },
        issuerKind: 'program',
        issuerId: `bench-${actuator}`,
        programVersion: 1,
        priority: 0,
        reason: 'temperature 27 > 26',
        status: 'pending',
        statusReason: null,
        notBefore: now,
        expiresAt: now + 60_000,
        ingestTs: now,
      };
    };
    const markSent = () =>
      pool.query(`UPDATE commands SET status = 'sent' WHERE status = 'pending'`);
    console.log(`history: ${history} finished commands for each of ${ACTUATORS} actuators ...`);
    for (let round = 0; round < history; round++) {
      await commands.insert(
        Array.from({ length: ACTUATORS }, (_, actuator) => command(actuator)),
        0,
      );
      await pool.query(`UPDATE commands SET status = 'acknowledged' WHERE status = 'pending'`);
    }
    await pool.query('ANALYZE commands');
    for (const size of sizes) {
      const times: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const batch = Array.from({ length: size }, (_, i) =>
          command((round * size + i) % ACTUATORS),
        );
        const started = process.hrtime.bigint();
        await commands.insert(batch, 0);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        await markSent();
      }
      times.sort((a, b) => a - b);
      console.log(
        `insert of ${String(size).padStart(5)} commands    p50 ${times[Math.floor(times.length / 2)].toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms (${rounds} rounds)`,
      );
    }
  } finally {
    await pool.end();
    await dropTestSchema(admin, schema);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
