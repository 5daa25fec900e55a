import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface DeleteTopicsRequest {
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponse {
  topics: Array<{ name: string; errorCode: number }>;
}

/** DeleteTopics v0. */
export function decodeDeleteTopicsRequest(r: ByteReader): DeleteTopicsRequest {
  const topicNames = r.array('topic_names', (r) => r.string('topic_names[]'));
  const timeoutMs = r.int32('timeout_ms');
  r.expectEnd();
  return { topicNames, timeoutMs };
}

export function encodeDeleteTopicsResponse(w: ByteWriter, res: DeleteTopicsResponse): void {
  w.array(res.topics, (w, t) => w.string(t.name).int16(t.errorCode));
}
