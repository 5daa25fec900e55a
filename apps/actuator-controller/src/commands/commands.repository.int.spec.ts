import { randomUUID } from 'node:crypto';
import { createPgPool, runMigrations } from '@sluice/db';
import { createTestSchema, dropTestSchema } from '@sluice/testing';
import type { Pool } from 'pg';
import { CommandsRepository, type NewCommand } from './commands.repository';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('commands repository: the outbox', () => {
  let admin: Pool;
  let pool: Pool;
  let schema: string;
  let repository: CommandsRepository;

  beforeAll(async () => {
    admin = createPgPool({ url: DATABASE_URL, max: 1 });
    schema = await createTestSchema(admin, 'test_commands');
    await runMigrations(DATABASE_URL, { schema });
    pool = createPgPool({ url: DATABASE_URL, max: 2, schema });
    repository = new CommandsRepository(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await dropTestSchema(admin, schema);
    await admin.end();
  });

  let seq = 0;
  function command(actuator: string, state: string, status: NewCommand['status'] = 'pending') {
    const now = Date.now();
    return {
      id: randomUUID(),
      idempotencyKey: `p:v1:${actuator}:${++seq}`,
      tenant: 'acme',
      actuator,
      action: 'set_state',
      params: { state },
      issuerKind: 'program',
      issuerId: 'p',
      programVersion: 1,
      priority: 0,
      reason: 'test',
      status,
      statusReason: status === 'rejected' ? 'rate_limited: too many' : null,
      notBefore: now,
      expiresAt: now + 60_000,
      ingestTs: now,
    } satisfies NewCommand;
  }

  async function eventsOf(id: string): Promise<Array<{ kind: string; detail: unknown }>> {
    const { rows } = await pool.query<{ kind: string; detail: unknown }>(
      'SELECT kind, detail FROM command_events WHERE command_id = $1 ORDER BY seq',
      [id],
    );
    return rows;
  }

  it('lets the newest pending command of an actuator supersede unsent ones, in the batch and before it', async () => {
    const earlier = command('fan', 'on');
    await repository.insert([earlier], 0);
    const first = command('fan', 'off');
    const refused = command('fan', 'on', 'rejected');
    const last = command('fan', 'on');
    const other = command('pump', 'on');
    const inserted = await repository.insert([first, refused, last, other], 0);

    expect(inserted.map((row) => [row.id, row.status, row.statusReason])).toEqual([
      [first.id, 'expired', `superseded by ${last.id}`],
      [refused.id, 'rejected', 'rate_limited: too many'],
      [last.id, 'pending', null],
      [other.id, 'pending', null],
    ]);
    const { rows } = await pool.query<{ id: string; status: string; status_reason: string }>(
      'SELECT id, status, status_reason FROM commands WHERE id = ANY($1)',
      [[earlier.id, first.id]],
    );
    expect(new Map(rows.map((row) => [row.id, [row.status, row.status_reason]]))).toEqual(
      new Map([
        [earlier.id, ['expired', `superseded by ${last.id}`]],
        [first.id, ['expired', `superseded by ${last.id}`]],
      ]),
    );
    expect((await eventsOf(earlier.id)).map((event) => event.kind)).toEqual([
      'created',
      'superseded',
    ]);
    expect(await eventsOf(first.id)).toEqual([
      expect.objectContaining({ kind: 'created' }),
      { kind: 'superseded', detail: { by: last.id } },
    ]);
    expect((await eventsOf(refused.id)).map((event) => event.kind)).toEqual([
      'created',
      'rejected',
    ]);
    const { rows: actuators } = await pool.query<{ id: string; last_command_id: string }>(
      "SELECT id, last_command_id FROM actuators WHERE tenant = 'acme' ORDER BY id",
    );
    expect(actuators).toEqual([
      { id: 'fan', last_command_id: last.id },
      { id: 'pump', last_command_id: other.id },
    ]);
  });

  it('skips a replayed idempotency key and audits every send', async () => {
    const original = command('valve', 'open');
    const [row] = await repository.insert([original], 0);
    expect(await repository.insert([{ ...original, id: randomUUID() }], 0)).toEqual([]);

    const publishedAt = Date.now() - 1234;
    const [sent] = await repository.markSent([row.id], 1000, 'first', publishedAt);
    expect(sent).toMatchObject({ id: row.id, status: 'sent', attempts: 1 });
    // the time Kafka took it, not the time of the mark
    expect(sent.sentAt?.getTime()).toBe(publishedAt);
    const [again] = await repository.markSent([row.id], 1000, 'retry');
    expect(again.attempts).toBe(2);
    expect(again.sentAt).toEqual(sent.sentAt);
    expect(await eventsOf(row.id)).toEqual([
      expect.objectContaining({ kind: 'created' }),
      { kind: 'sent', detail: { attempt: 1, via: 'first' } },
      { kind: 'sent', detail: { attempt: 2, via: 'retry' } },
    ]);
  });

  it('audits the publish of a command whose ack was applied before it was marked sent, once', async () => {
    const [row] = await repository.insert([command('heater', 'on')], 0);
    await repository.complete(row.id, 'acknowledged', { kind: 'acknowledged', detail: {} });

    expect(await repository.markSent([row.id], 1000, 'kafka')).toEqual([]);
    await repository.markSent([row.id], 1000, 'kafka');

    const { rows } = await pool.query<{ status: string; sent_at: Date | null; attempts: number }>(
      'SELECT status, sent_at, attempts FROM commands WHERE id = $1',
      [row.id],
    );
    expect(rows[0]).toMatchObject({ status: 'acknowledged', attempts: 1 });
    expect(rows[0].sent_at).toBeInstanceOf(Date);
    expect((await eventsOf(row.id)).map((event) => event.kind)).toEqual([
      'created',
      'acknowledged',
      'sent',
    ]);
  });
});
