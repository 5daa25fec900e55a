import {
  decodeFetchRequest,
  encodeFetchResponse,
  FetchPartitionResponse,
  FetchRequest,
  FetchResponse,
} from '../../protocol/apis/fetch.codec';
import { ErrorCode } from '../../protocol/error-codes';
import { PartitionLog } from '../../storage';
import { defineApi, errorCodeOf, firstError } from '../api-handler';
import { BrokerDeps } from '../broker-deps';
import { countRecords } from '../record-batches';

const EMPTY = Buffer.alloc(0);

interface FetchRead {
  response: FetchResponse;
  bytes: number;
  hasError: boolean;
}

/**
 * One pass over the requested partitions. The response budget (max_bytes) is spent in request
 * order; the first partition with data always gets at least one whole batch (KIP-74), later ones
 * only what fits, so a batch is never split and never skipped past.
 */
async function readPartitions(req: FetchRequest, deps: BrokerDeps): Promise<FetchRead> {
  let budget = req.maxBytes;
  let bytes = 0;
  let hasError = false;
  const topics: FetchResponse['topics'] = [];
  for (const t of req.topics) {
    const partitions: FetchPartitionResponse[] = [];
    for (const p of t.partitions) {
      const log = deps.logs.partition(t.topic, p.partition);
      if (!log) {
        hasError = true;
        partitions.push(partitionError(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n));
        continue;
      }
      const limit = Math.max(0, Math.min(p.partitionMaxBytes, budget));
      let records: Buffer = EMPTY;
      if (bytes === 0 || limit > 0) {
        try {
          records = await log.read(p.fetchOffset, limit);
        } catch (err) {
          hasError = true;
          const code = errorCodeOf(err, deps, `read ${t.topic}-${p.partition}@${p.fetchOffset}`);
          partitions.push(partitionError(p.partition, code, log.logEndOffset));
          continue;
        }
        // Past the first data the budget is hard: a batch that does not fit waits for the next fetch.
        if (bytes > 0 && records.length > limit) records = EMPTY;
      }
      bytes += records.length;
      budget -= records.length;
      // Read after the data so the high watermark covers everything returned.
      const end = log.logEndOffset;
      partitions.push({
        partition: p.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: end,
        lastStableOffset: end,
        records,
      });
    }
    topics.push({ topic: t.topic, partitions });
  }
  return { response: { topics }, bytes, hasError };
}

function partitionError(partition: number, errorCode: number, end: bigint): FetchPartitionResponse {
  return { partition, errorCode, highWatermark: end, lastStableOffset: end, records: EMPTY };
}

/**
 * Answers at once when min_bytes are available, on any partition error, or for max_wait 0;
 * otherwise parks until an append brings enough data or max_wait passes. Appends wake the
 * request through the partitions' 'append' events: there is no polling.
 */
async function handleFetch(
  req: FetchRequest,
  _ctx: unknown,
  deps: BrokerDeps,
): Promise<FetchResponse> {
  const first = await readPartitions(req, deps);
  if (
    first.bytes >= req.minBytes ||
    first.hasError ||
    req.maxWaitMs <= 0 ||
    deps.lifecycle.stopping
  ) {
    return recordMetrics(first, deps);
  }
  const logs = new Set<PartitionLog>();
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const log = deps.logs.partition(t.topic, p.partition);
      if (log) logs.add(log);
    }
  }
  const result = await new Promise<FetchRead>((resolve) => {
    let done = false;
    let reading = false;
    let wokenWhileReading = false;
    /** max_wait passed or the broker is stopping: the next read is the answer whatever it holds. */
    let final = false;
    const reread = (): void => {
      if (done) return;
      if (reading) {
        wokenWhileReading = true;
        return;
      }
      reading = true;
      readPartitions(req, deps).then(
        (read) => {
          reading = false;
          if (final || read.bytes >= req.minBytes || read.hasError) finish(read);
          else if (wokenWhileReading) {
            wokenWhileReading = false;
            reread();
          }
        },
        (err: unknown) => {
          deps.logger.error({ err }, 'fetch re-read failed');
          finish(first);
        },
      );
    };
    const finish = (read: FetchRead): void => {
      done = true;
      deps.metrics.fetchUnparked();
      clearTimeout(timer);
      unwatch();
      resolve(read);
    };
    deps.metrics.fetchParked();
    const timer = setTimeout(() => {
      final = true;
      reread();
    }, req.maxWaitMs);
    const unwatch = deps.appends.watch(logs, (reason) => {
      if (reason === 'stop') final = true;
      reread();
    });
  });
  return recordMetrics(result, deps);
}

function recordMetrics(read: FetchRead, deps: BrokerDeps): FetchResponse {
  for (const t of read.response.topics) {
    for (const p of t.partitions) {
      if (p.records && p.records.length > 0)
        deps.metrics.fetched(t.topic, p.records.length, countRecords(p.records));
    }
  }
  return read.response;
}

export const fetchApi = defineApi<FetchRequest, FetchResponse>({
  decode: decodeFetchRequest,
  handle: handleFetch,
  encode: (w, _version, res) => encodeFetchResponse(w, res),
  errorCode: (res) => firstError(res.topics),
});
