import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { Admin, AssignerProtocol, IHeaders, Producer } from 'kafkajs';

import { startTestBroker, TestBroker, uniqueName, waitFor } from '../testing/test-broker';

jest.setTimeout(120_000);

// Debian's python3: a pyenv python3 earlier in PATH lacks the Debian-packaged client modules.
const PYTHON = '/usr/bin/python3';
const SCRIPTS = join(__dirname, 'python');
const PARTITIONS = 6;

/** A message as every client script prints it: bytes as hex. */
interface SeenMessage {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string | null]>;
  timestamp: number;
}

/** The tools come from apt in CI (`.ci/run`); missing one is a failure naming its package. */
function requireTool(command: string, args: string[], aptPackage: string): void {
  const probe = spawnSync(command, args, { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${probe.error?.message ?? probe.stderr}): ` +
        `install the Debian package ${aptPackage} (apt-get install ${aptPackage})`,
    );
  }
}

interface Run {
  stdout: Buffer;
  stderr: string;
}

/** Runs a client to completion; rejects with its stderr on a non-zero exit. */
function run(command: string, args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out), stderr });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
    child.stdin.end(stdin);
  });
}

function python(script: string, args: string[], stdin = ''): Promise<Run> {
  return run(PYTHON, [join(SCRIPTS, script), ...args], stdin);
}

function hex(data: Buffer | string | null | undefined): string | null {
  if (data === null || data === undefined) return null;
  return (typeof data === 'string' ? Buffer.from(data) : data).toString('hex');
}

/** A group as the group-listing scripts print it (members' payloads differ per client). */
interface ListedAndDescribed<Member> {
  listed: Array<[string, string]>;
  group: {
    group: string;
    state: string;
    protocol_type: string;
    protocol: string;
    members: Array<{ member_id: string; client_id: string; client_host: string } & Member>;
  };
}

function hexHeaders(headers: IHeaders | undefined): Array<[string, string | null]> {
  return Object.entries(headers ?? {}).map(([k, v]) => [k, hex(v as Buffer)]);
}

describe('third-party Kafka clients against the embedded broker', () => {
  let tb: TestBroker;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    requireTool('kcat', ['-V'], 'kcat');
    requireTool(PYTHON, ['-c', 'import confluent_kafka'], 'python3-confluent-kafka');
    requireTool(PYTHON, ['-c', 'import kafka'], 'python3-kafka');
    tb = await startTestBroker();
    admin = tb.kafka('compat-admin').admin();
    producer = tb.kafka('compat-producer').producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await tb?.destroy();
  });

  /** Reads `count` messages of `topic` with kafkajs, as SeenMessage. */
  async function readWithKafkajs(topic: string, count: number): Promise<SeenMessage[]> {
    const consumer = tb.kafka('compat-reader').consumer({ groupId: uniqueName('kafkajs-reader') });
    const seen: SeenMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({
            partition,
            offset: Number(message.offset),
            key: hex(message.key),
            value: hex(message.value),
            headers: hexHeaders(message.headers),
            timestamp: Number(message.timestamp),
          });
        },
      });
      await waitFor(() => seen.length >= count, `kafkajs to read ${count} messages of ${topic}`);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  }

  it('kcat -L lists the broker and the topic with its partitions', async () => {
    const topic = uniqueName('kcat-meta');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const { stdout } = await run('kcat', ['-b', tb.broker.address, '-L', '-J', '-t', topic]);
    const meta = JSON.parse(stdout.toString()) as {
      controllerid: number;
      brokers: Array<{ id: number; name: string }>;
      topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number }> }>;
    };
    expect(meta.controllerid).toBe(0);
    expect(meta.brokers).toEqual([{ id: 0, name: tb.broker.address }]);
    expect(meta.topics).toHaveLength(1);
    expect(meta.topics[0].topic).toBe(topic);
    expect(meta.topics[0].partitions.map((p) => [p.partition, p.leader])).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
  });

  it('kcat -P with keys and headers, then kcat -C and kcat -G read them', async () => {
    const topic = uniqueName('kcat-produce');
    const lines = Array.from({ length: 20 }, (_, i) => `key-${i}:value-${i}`);
    const brokerArgs = ['-b', tb.broker.address];
    await run(
      'kcat',
      [...brokerArgs, '-P', '-t', topic, '-K:', '-H', 'origin=kcat', '-H', 'n=1'],
      `${lines.join('\n')}\n`,
    );

    const seen = await readWithKafkajs(topic, lines.length);
    expect(
      seen.map((m) => `${Buffer.from(m.key!, 'hex')}:${Buffer.from(m.value!, 'hex')}`).sort(),
    ).toEqual([...lines].sort());
    for (const m of seen)
      expect(m.headers).toEqual([
        ['origin', hex('kcat')],
        ['n', hex('1')],
      ]);

    const format = ['-f', '%k:%s\\n'];
    const consumed = await run('kcat', [
      ...brokerArgs,
      '-C',
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      ...format,
    ]);
    expect(consumed.stdout.toString().trim().split('\n').sort()).toEqual([...lines].sort());

    const group = uniqueName('kcat-group');
    const grouped = await run('kcat', [
      ...brokerArgs,
      '-G',
      group,
      topic,
      '-o',
      'beginning',
      '-c',
      String(lines.length),
      ...format,
    ]);
    expect(grouped.stdout.toString().trim().split('\n').sort()).toEqual([...lines].sort());
  });

  it('confluent-kafka: a group of two consumers splits the partitions and reads each message once', async () => {
    const topic = uniqueName('confluent-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    const count = 60;
    const child = spawn(
      PYTHON,
      [
        join(SCRIPTS, 'confluent_group.py'),
        tb.broker.address,
        topic,
        uniqueName('cg'),
        String(count),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(
      () => lines.includes('ready') || child.exitCode !== null,
      'the group to split',
      60_000,
    );
    expect(lines).toContain('ready');
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    });
    expect(await exit).toBe(0);
    if (stderr) expect(stderr).not.toMatch(/Traceback/);
    const result = JSON.parse(lines[lines.length - 1]) as {
      assignments: Record<string, number[]>;
      messages: Array<SeenMessage & { member: string }>;
    };
    const { a, b } = result.assignments;
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect([...a, ...b].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const values = result.messages.map((m) => Buffer.from(m.value!, 'hex').toString()).sort();
    expect(values).toEqual(Array.from({ length: count }, (_, i) => `v${i}`).sort());
    for (const m of result.messages) expect(result.assignments[m.member]).toContain(m.partition);
  });

  it('kafka-python: produce, then group consume with commit', async () => {
    const topic = uniqueName('kafka-python');
    const group = uniqueName('kp-group');
    const input = Array.from({ length: 10 }, (_, i) => ({
      key: hex(`k${i}`),
      value: hex(`v${i}`),
      headers: [['i', hex(String(i))]],
      timestamp: 1_700_000_000_000 + i,
    }));
    const acks = JSON.parse(
      (
        await python(
          'kafka_python_produce.py',
          [tb.broker.address, topic],
          input.map((m) => JSON.stringify(m)).join('\n'),
        )
      ).stdout.toString(),
    ) as Array<{ partition: number; offset: number }>;
    expect(acks).toHaveLength(input.length);

    const { stdout } = await python('kafka_python_consume.py', [
      tb.broker.address,
      topic,
      group,
      String(input.length),
    ]);
    const read = JSON.parse(stdout.toString()) as SeenMessage[];
    expect(
      read
        .map(({ key, value, headers, timestamp }) => ({ key, value, headers, timestamp }))
        .sort((x, y) => x.timestamp - y.timestamp),
    ).toEqual(input);

    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const endOffsets = new Map<number, number>();
    for (const ack of acks)
      endOffsets.set(ack.partition, Math.max(endOffsets.get(ack.partition) ?? 0, ack.offset + 1));
    for (const { partition, offset } of committed[0].partitions) {
      expect(Number(offset)).toBe(endOffsets.get(partition) ?? -1);
    }
  });

  it('kafka-python and confluent-kafka list and describe a stable kafkajs group of two', async () => {
    const topic = uniqueName('described');
    const groupId = uniqueName('described-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const consumers = ['member-a', 'member-b'].map((name) =>
      tb.kafka(name).consumer({ groupId, heartbeatInterval: 300, maxWaitTimeInMs: 100 }),
    );
    try {
      for (const consumer of consumers) {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ eachMessage: async () => undefined });
      }
      await waitFor(() => {
        const g = tb.broker.describeGroup(groupId);
        return g?.state === 'Stable' && g.members.length === 2;
      }, 'the kafkajs group to settle with both members');
      const members = [...tb.broker.describeGroup(groupId)!.members].sort((x, y) =>
        x.memberId.localeCompare(y.memberId),
      );
      const groupFields = {
        group: groupId,
        state: 'Stable',
        protocol_type: 'consumer',
        protocol: 'RoundRobinAssigner',
      };
      const identity = (m: (typeof members)[number]) => ({
        member_id: m.memberId,
        client_id: m.clientId,
        client_host: '/127.0.0.1',
      });
      const byMemberId = <T extends { member_id: string }>(list: T[]): T[] =>
        [...list].sort((x, y) => x.member_id.localeCompare(y.member_id));

      const kp = JSON.parse(
        (await python('kafka_python_groups.py', [tb.broker.address, groupId])).stdout.toString(),
      ) as ListedAndDescribed<{ subscription: string[]; assignment: Record<string, number[]> }>;
      expect(kp.listed).toContainEqual([groupId, 'consumer']);
      expect(kp.group).toMatchObject({ ...groupFields, error_code: 0 });
      expect(byMemberId(kp.group.members)).toEqual(
        members.map((m) => ({
          ...identity(m),
          subscription: [topic],
          assignment: AssignerProtocol.MemberAssignment.decode(m.assignment)!.assignment,
        })),
      );

      const ck = JSON.parse(
        (await python('confluent_groups.py', [tb.broker.address, groupId])).stdout.toString(),
      ) as ListedAndDescribed<{ metadata: string; assignment: string }>;
      expect(ck.listed).toContainEqual([groupId, 'consumer']);
      expect(ck.group).toMatchObject({ ...groupFields, error: null });
      expect(byMemberId(ck.group.members)).toEqual(
        members.map((m) => ({
          ...identity(m),
          metadata: hex(m.metadata),
          assignment: hex(m.assignment),
        })),
      );
      // The generation both clients described covers every partition exactly once.
      const assigned = kp.group.members.flatMap((m) => m.assignment[topic]);
      expect(assigned.sort()).toEqual([0, 1, 2, 3]);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect()));
    }
  });

  it('a message is byte-identical (key, value, headers, timestamp) across kafkajs, kcat and python', async () => {
    const topic = uniqueName('cross-client');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    // Non-ASCII and non-UTF-8 bytes, but none of kcat's format separators (space, comma, '=').
    const key = Buffer.from([0x6b, 0x00, 0xc3, 0xa9, 0xff]);
    const value = Buffer.concat([Buffer.from('vålue-'), Buffer.from([0x01, 0x80, 0xfe])]);
    const header = Buffer.from([0xe2, 0x82, 0xac, 0x7f]);
    const timestamp = 1_700_000_123_456;
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key, value, headers: { h: header }, timestamp: String(timestamp) }],
    });
    const expected: SeenMessage = {
      partition: 0,
      offset: 0,
      key: hex(key),
      value: hex(value),
      headers: [['h', hex(header)]],
      timestamp,
    };

    const kcat = await run('kcat', [
      '-b',
      tb.broker.address,
      '-C',
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-f',
      '%k %s %h %T',
    ]);
    expect(kcat.stdout).toEqual(
      Buffer.concat([
        key,
        Buffer.from(' '),
        value,
        Buffer.from(' h='),
        header,
        Buffer.from(` ${timestamp}`),
      ]),
    );

    const kp = await python('kafka_python_consume.py', [
      tb.broker.address,
      topic,
      uniqueName('x'),
      '1',
    ]);
    expect(JSON.parse(kp.stdout.toString())).toEqual([expected]);

    // kafka-python writes the same message; kafkajs reads both copies identically.
    const { partition: _p, offset: _o, ...message } = expected;
    await python('kafka_python_produce.py', [tb.broker.address, topic], JSON.stringify(message));
    expect(await readWithKafkajs(topic, 2)).toEqual([expected, { ...expected, offset: 1 }]);
  });
});
