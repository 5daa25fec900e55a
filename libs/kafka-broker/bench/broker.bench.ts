/**
 * Throughput benchmark of the embedded broker (a script, not a test):
 *
 *   node -r @swc-node/register libs/kafka-broker/bench/broker.bench.ts [--records 1000000]
 *        [--record-bytes 150] [--batch 100] [--in-flight 16] [--partitions 6] [--acks -1]
 *        [--fsync always|<interval ms>] [--client kafkajs|raw|both] [--nagle]
 *        [--broker-cpu-prof <dir>]   (writes a V8 CPU profile of the broker process there)
 *
 * The broker runs in a child process (the standalone CLI) so its CPU time is read from
 * /proc/<pid>/stat apart from the clients'. Two clients:
 * - kafkajs: a kafkajs producer (batches of --batch records, --in-flight sends outstanding) and
 *   a kafkajs consumer group (eachBatch) reading everything back. This is what services see.
 * - raw: the same record batches pre-encoded once by kafkajs and replayed over a pipelined
 *   socket, then read back with Fetch requests whose records are counted from batch headers
 *   only. It measures the broker's own capacity, without kafkajs's per-record client cost.
 * Prints records/s each way and the CPU share (100% = one core) of broker and client.
 *
 * 16 sends in flight by default: with acks=-1 every send waits for its batch's fsync, and with 8
 * the kafkajs producer sat idle for a fifth of the run waiting for acknowledgements.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { CompressionTypes, ISocketFactory, Kafka, logLevel } from 'kafkajs';

import { ByteReader } from '../src/protocol/byte-reader';
import { BatchField, BATCH_LOG_OVERHEAD } from '../src/storage';
import { kafkajsFrame, kafkajsRequest } from '../src/testing/kafkajs-protocol';
import { RawKafkaSocket } from '../src/testing/raw-kafka-socket';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'record-bytes': { type: 'string', default: '150' },
    batch: { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '16' },
    partitions: { type: 'string', default: '6' },
    acks: { type: 'string', default: '-1' },
    fsync: { type: 'string', default: 'always' },
    client: { type: 'string', default: 'both' },
    nagle: { type: 'boolean', default: false },
    'broker-cpu-prof': { type: 'string' },
  },
});
const RECORDS = Number(values.records);
const RECORD_BYTES = Number(values['record-bytes']);
const BATCH = Number(values.batch);
const IN_FLIGHT = Number(values['in-flight']);
const PARTITIONS = Number(values.partitions);
const ACKS = Number(values.acks);
const FSYNC = values.fsync ?? 'always';
const NAGLE = values.nagle ?? false;
const SENDS = Math.ceil(RECORDS / BATCH);

/** Clock ticks per second of /proc stat times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/**
 * kafkajs leaves Nagle's algorithm on: with several requests in flight, each small request then
 * waits for the ACK of the previous one (up to the peer's delayed-ACK timer). The benchmark turns
 * it off, as any latency-sensitive kafkajs deployment should (--nagle keeps it on).
 */
const noDelaySocketFactory: ISocketFactory = ({ host, port, onConnect }) => {
  const socket = connect({ host, port }, onConnect);
  socket.setNoDelay(!NAGLE);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

interface BrokerProcess {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

interface PhaseResult {
  records: number;
  seconds: number;
  brokerCpuSeconds: number;
  clientCpuSeconds: number;
}

async function brokerCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" of the command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

async function startBrokerProcess(dataDir: string): Promise<BrokerProcess> {
  const cli = join(__dirname, '../src/cli.ts');
  const profile = values['broker-cpu-prof'];
  const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const args = [
    ...profiling,
    '-r',
    '@swc-node/register',
    cli,
    '--port',
    '0',
    '--data-dir',
    dataDir,
    '--fsync',
    FSYNC,
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const address = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; address?: string; level?: number };
      if (entry.msg === 'kafka broker listening' && entry.address) resolve(entry.address);
      else if ((entry.level ?? 0) >= 40) process.stderr.write(`${line}\n`);
    });
  });
  return {
    address,
    pid: child.pid as number,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs one phase, measuring wall time and both processes' CPU time. */
async function measure(broker: BrokerProcess, run: () => Promise<number>): Promise<PhaseResult> {
  const brokerBefore = await brokerCpuSeconds(broker.pid);
  const clientBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  const records = await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const client = process.cpuUsage(clientBefore);
  return {
    records,
    seconds,
    brokerCpuSeconds: (await brokerCpuSeconds(broker.pid)) - brokerBefore,
    clientCpuSeconds: (client.user + client.system) / 1e6,
  };
}

function report(phase: PhaseResult): Record<string, string> {
  const pct = (cpu: number): string => `${Math.round((cpu / phase.seconds) * 100)}%`;
  return {
    rate: `${Math.round(phase.records / phase.seconds).toLocaleString('en-US')} records/s`,
    mibPerSecond: ((phase.records * RECORD_BYTES) / phase.seconds / 1048576).toFixed(1),
    brokerCpu: pct(phase.brokerCpuSeconds),
    clientCpu: pct(phase.clientCpuSeconds),
  };
}

/** Values are Buffers, as a service serialising JSON would hand them over (kafkajs copies strings). */
function messagesOf(batch: number): Array<{ key: Buffer; value: Buffer }> {
  const payload = 'x'.repeat(RECORD_BYTES - 20);
  return Array.from({ length: Math.min(BATCH, RECORDS - batch * BATCH) }, (_, i) => ({
    key: Buffer.from(`k${i % 10}`),
    value: Buffer.from(`${String(batch * BATCH + i).padStart(12, '0')}${payload}`),
  }));
}

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  await admin.disconnect();
}

/**
 * The sends' messages, built before the clock starts (as Kafka's own producer-perf-test generates
 * its payloads up front): what is measured is kafkajs encoding and sending them, not the
 * benchmark allocating a million Buffers.
 */
function kafkajsSends(): Array<Array<{ key: Buffer; value: Buffer; partition: number }>> {
  return Array.from({ length: SENDS }, (_, b) =>
    messagesOf(b).map((m) => ({ key: m.key, value: m.value, partition: b % PARTITIONS })),
  );
}

async function kafkajsProduce(
  kafka: Kafka,
  topic: string,
  sends: ReturnType<typeof kafkajsSends>,
): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < sends.length) {
        await producer.send({
          topic,
          acks: ACKS,
          compression: CompressionTypes.None,
          messages: sends[next++],
        });
      }
    }),
  );
  await producer.disconnect();
  return RECORDS;
}

async function kafkajsConsume(kafka: Kafka, topic: string): Promise<number> {
  const consumer = kafka.consumer({
    groupId: `bench-group-${Date.now()}`,
    maxBytes: 16 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let consumed = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        if (consumed >= RECORDS) resolve();
      },
    });
  });
  await consumer.disconnect();
  return consumed;
}

/** Replays one pre-encoded Produce frame per partition, IN_FLIGHT requests outstanding. */
async function rawProduce(address: string, topic: string): Promise<number> {
  const bodies = await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      const request = kafkajsRequest('produce', 3, {
        acks: ACKS,
        timeout: 30_000,
        topicData: [{ topic, partitions: [{ partition, messages: messagesOf(0) }] }],
      });
      // Everything after api_key, api_version and correlation_id is shared by every send.
      return (await kafkajsFrame(request)).subarray(8);
    }),
  );
  const socket = await RawKafkaSocket.connect(address);
  let sent = 0;
  const send = (): void => {
    const body = bodies[sent % PARTITIONS];
    const header = Buffer.allocUnsafe(12);
    header.writeInt32BE(8 + body.length, 0);
    header.writeInt16BE(0, 4); // Produce
    header.writeInt16BE(3, 6);
    header.writeInt32BE(sent, 8);
    socket.write(header, body);
    sent++;
  };
  while (sent < Math.min(IN_FLIGHT, SENDS)) send();
  for (let answered = 0; answered < SENDS; answered++) {
    const response = await socket.nextResponse(60_000);
    const errorCode = produceErrorCode(response.body);
    if (errorCode !== 0) throw new Error(`produce failed with error ${errorCode}`);
    if (sent < SENDS) send();
  }
  socket.destroy();
  return SENDS * BATCH;
}

function produceErrorCode(body: Buffer): number {
  const r = new ByteReader(body, 'produce response');
  r.int32('topics');
  r.string('topic');
  r.int32('partitions');
  r.int32('partition');
  return r.int16('error_code');
}

/** Fetches every partition from offset 0 to the end, counting records from batch headers. */
async function rawConsume(address: string, topic: string): Promise<number> {
  const socket = await RawKafkaSocket.connect(address);
  const offsets = Array.from({ length: PARTITIONS }, () => 0n);
  let consumed = 0;
  for (let correlationId = 0; consumed < RECORDS; correlationId++) {
    const request = kafkajsRequest('fetch', 4, {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 16 * 1024 * 1024,
      topics: [
        {
          topic,
          partitions: offsets.map((offset, partition) => ({
            partition,
            fetchOffset: offset.toString(),
            maxBytes: 4 * 1024 * 1024,
          })),
        },
      ],
    });
    socket.frame(await kafkajsFrame(request, correlationId));
    consumed += readFetchResponse((await socket.nextResponse(60_000)).body, offsets);
  }
  socket.destroy();
  return consumed;
}

function readFetchResponse(body: Buffer, offsets: bigint[]): number {
  const r = new ByteReader(body, 'fetch response');
  let records = 0;
  r.int32('throttle_time_ms');
  r.array('topics', (r) => {
    r.string('topic');
    r.array('partitions', (r) => {
      const partition = r.int32('partition');
      const errorCode = r.int16('error_code');
      if (errorCode !== 0)
        throw new Error(`fetch of partition ${partition} failed with ${errorCode}`);
      r.int64('high_watermark');
      r.int64('last_stable_offset');
      r.array('aborted_transactions', (r) => [r.int64('producer_id'), r.int64('first_offset')]);
      const batches = r.nullableBytes('records') ?? Buffer.alloc(0);
      for (let pos = 0; pos < batches.length;) {
        const base = batches.readBigInt64BE(pos + BatchField.BASE_OFFSET);
        offsets[partition] =
          base + BigInt(batches.readInt32BE(pos + BatchField.LAST_OFFSET_DELTA)) + 1n;
        records += batches.readInt32BE(pos + BatchField.RECORD_COUNT);
        pos += BATCH_LOG_OVERHEAD + batches.readInt32BE(pos + BatchField.BATCH_LENGTH);
      }
    });
  });
  return records;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kafka-broker-bench-'));
  const broker = await startBrokerProcess(dataDir);
  const kafka = new Kafka({
    clientId: 'bench',
    brokers: [broker.address],
    logLevel: logLevel.NOTHING,
    socketFactory: noDelaySocketFactory,
  });
  const results: Record<string, unknown> = {
    records: RECORDS,
    recordBytes: RECORD_BYTES,
    batch: BATCH,
    inFlight: IN_FLIGHT,
    partitions: PARTITIONS,
    acks: ACKS,
    fsync: FSYNC,
    clientNagle: NAGLE,
  };
  try {
    if (values.client === 'raw' || values.client === 'both') {
      const topic = `bench-raw-${Date.now()}`;
      await createTopic(kafka, topic);
      results.rawProduce = report(await measure(broker, () => rawProduce(broker.address, topic)));
      results.rawConsume = report(await measure(broker, () => rawConsume(broker.address, topic)));
    }
    if (values.client === 'kafkajs' || values.client === 'both') {
      const topic = `bench-kafkajs-${Date.now()}`;
      await createTopic(kafka, topic);
      const sends = kafkajsSends();
      results.kafkajsProduce = report(
        await measure(broker, () => kafkajsProduce(kafka, topic, sends)),
      );
      results.kafkajsConsume = report(await measure(broker, () => kafkajsConsume(kafka, topic)));
    }
  } finally {
    await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
