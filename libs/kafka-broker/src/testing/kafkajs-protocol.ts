/**
 * Test-only access to kafkajs's own protocol encoders/decoders (its `src/protocol/requests/*`),
 * an independent implementation of the same layouts: the codec specs encode requests with
 * kafkajs and decode our responses with kafkajs, so a symmetric mistake cannot pass.
 */
export interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}

type RequestFactory = (args: object) => KafkajsRequest;
type ResponseDecoder = { decode(raw: Buffer): Promise<unknown> };
type FrameEncoder = (args: {
  correlationId: number;
  clientId: string;
  request: KafkajsRequest;
}) => Promise<{ buffer: Buffer }>;

const PROTOCOL = 'kafkajs/src/protocol';

function load<T>(path: string): T {
  return require(`${PROTOCOL}/${path}`) as T;
}

export function kafkajsRequest(api: string, version: number, args: object): KafkajsRequest {
  return load<RequestFactory>(`requests/${api}/v${version}/request`)(args);
}

/** A whole request frame as kafkajs sends it, minus the 4-byte size prefix. */
export async function kafkajsFrame(
  request: KafkajsRequest,
  correlationId = 42,
  clientId = 'codec-test',
): Promise<Buffer> {
  const frame = await load<FrameEncoder>('request')({ correlationId, clientId, request });
  return frame.buffer.subarray(4);
}

/** Decodes a response body (after the correlation id) with kafkajs's decoder for that version. */
export function kafkajsDecodeResponse<T>(api: string, version: number, body: Buffer): Promise<T> {
  return load<ResponseDecoder>(`requests/${api}/v${version}/response`).decode(body) as Promise<T>;
}
