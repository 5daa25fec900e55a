import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  loadPackageDefinition,
  type sendUnaryData,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { PROTO_LOADER_OPTIONS } from '@sluice/grpc';
import { ApiError } from '../http/api-error';
import { BackendGrpcClient, type BackendServiceSpec } from './backend-grpc.client';

const ECHO_PROTO = join(__dirname, '../../../../libs/grpc/src/__fixtures__/echo.proto');

class EchoBackendClient extends BackendGrpcClient {
  constructor(address: string) {
    const spec: BackendServiceSpec = {
      name: 'echo-backend',
      protoFile: ECHO_PROTO,
      service: 'sluice.test.echo.EchoService',
      address,
      timeoutMs: 2_000,
      refusalCode: 'invalid_request',
    };
    super(spec);
  }
}

describe('gateway client of a backend gRPC service', () => {
  let server: Server;
  let address: string;
  let refusal: { code: GrpcStatus; details: string };

  beforeAll(async () => {
    const loaded = loadPackageDefinition(loadSync(ECHO_PROTO, PROTO_LOADER_OPTIONS)) as unknown as {
      sluice: { test: { echo: { EchoService: ServiceClientConstructor } } };
    };
    server = new Server();
    server.addService(loaded.sluice.test.echo.EchoService.service, {
      Echo: (call: { request: { text: string } }, callback: sendUnaryData<unknown>) =>
        callback(null, { text: call.request.text, caller: '' }),
      Fail: (_call: unknown, callback: sendUnaryData<unknown>) => callback(refusal),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => server.forceShutdown());

  it('returns the reply of a successful call', async () => {
    const client = new EchoBackendClient(address);
    await expect(client.call('Echo', { text: 'hi' })).resolves.toEqual({ text: 'hi', caller: '' });
    client.onApplicationShutdown();
  });

  it('turns a structured refusal into the ApiError shape with its status, code and issues', async () => {
    refusal = {
      code: GrpcStatus.INVALID_ARGUMENT,
      details: JSON.stringify({
        code: 'invalid_program',
        message: 'program is invalid',
        issues: [{ path: 'tree.condition.metric', message: 'unknown metric "temprature"' }],
      }),
    };
    const client = new EchoBackendClient(address);
    const error = await client.call('Fail', { text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'invalid_program',
      details: [{ path: 'tree.condition.metric', message: 'unknown metric "temprature"' }],
    });
    refusal = { code: GrpcStatus.FAILED_PRECONDITION, details: 'not enabled' };
    expect(await client.call('Fail', {}).catch((e: unknown) => e)).toMatchObject({
      status: 422,
      code: 'invalid_request',
      message: 'not enabled',
    });
    client.onApplicationShutdown();
  });

  it('answers 503 with Retry-After naming the backend when it cannot be reached', async () => {
    const client = new EchoBackendClient('127.0.0.1:1');
    const error = await client.call('Echo', { text: 'x' }, 500).catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 503,
      code: 'echo_backend_unavailable',
      headers: { 'retry-after': '5' },
    });
    expect((error as Error).message).toContain('the echo-backend did not answer');
    client.onApplicationShutdown();
  });
});
