import { ByteReader } from '../byte-reader';
import { ByteWriter } from '../byte-writer';

export interface FindCoordinatorRequest {
  key: string;
}

export interface FindCoordinatorResponse {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

/** FindCoordinator v0: the key is a group id (no key type before v1). */
export function decodeFindCoordinatorRequest(r: ByteReader): FindCoordinatorRequest {
  const key = r.string('key');
  r.expectEnd();
  return { key };
}

export function encodeFindCoordinatorResponse(w: ByteWriter, res: FindCoordinatorResponse): void {
  w.int16(res.errorCode).int32(res.nodeId).string(res.host).int32(res.port);
}
