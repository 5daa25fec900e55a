import { status as GrpcStatus, type Client, type Metadata } from '@grpc/grpc-js';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod, type MicroserviceOptions } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  callUnary,
  createGrpcClient,
  grpcCall,
  GrpcCallError,
  GrpcRefusal,
  grpcServerOptions,
} from './index';

const FIXTURE = join(__dirname, '__fixtures__', 'echo.proto');

@Controller()
class EchoController {
  @GrpcMethod('EchoService', 'Echo')
  echo(request: { text: string }, metadata: Metadata): { text: string; caller: string } {
    return { text: request.text.toUpperCase(), caller: String(metadata.get('x-caller')[0] ?? '') };
  }

  @GrpcMethod('EchoService', 'Fail')
  fail(request: { text: string }): Promise<never> {
    return grpcCall(async () => {
      throw new GrpcRefusal(GrpcStatus.INVALID_ARGUMENT, 'bad_text', `bad text "${request.text}"`, [
        { path: 'text', message: 'not allowed' },
      ]);
    });
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

describe('gRPC server options and client helpers', () => {
  let app: INestMicroservice;
  let client: Client;
  let address: string;

  beforeAll(async () => {
    address = `127.0.0.1:${await freePort()}`;
    app = await NestFactory.createMicroservice<MicroserviceOptions>(EchoModule, {
      ...grpcServerOptions({ url: address, protoFiles: [FIXTURE], packages: ['sluice.test.echo'] }),
      logger: false,
    });
    await app.listen();
    client = createGrpcClient({
      protoFile: FIXTURE,
      service: 'sluice.test.echo.EchoService',
      address,
    });
  });

  afterAll(async () => {
    client?.close();
    await app?.close();
  });

  it('calls a unary method with metadata and returns the decoded reply', async () => {
    const reply = await callUnary<{ text: string; caller: string }>(
      client,
      'Echo',
      { text: 'hello' },
      { metadata: { 'x-caller': 'spec' } },
    );
    expect(reply).toEqual({ text: 'HELLO', caller: 'spec' });
  });

  it('sends a GrpcRefusal as its status with {code, message, issues} details, received as a GrpcCallError', async () => {
    const failure = await callUnary(client, 'Fail', { text: 'x' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GrpcCallError);
    expect(failure).toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, retryable: false });
    expect(JSON.parse((failure as GrpcCallError).details)).toEqual({
      code: 'bad_text',
      message: 'bad text "x"',
      issues: [{ path: 'text', message: 'not allowed' }],
    });
  });

  it('fails a call to an unreachable server as retryable within its deadline', async () => {
    const unreachable = createGrpcClient({
      protoFile: FIXTURE,
      service: 'sluice.test.echo.EchoService',
      address: `127.0.0.1:${await freePort()}`,
    });
    try {
      const failure = await callUnary(unreachable, 'Echo', { text: 'x' }, { timeoutMs: 500 }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(GrpcCallError);
      expect((failure as GrpcCallError).retryable).toBe(true);
    } finally {
      unreachable.close();
    }
  });

  it('names the service and file when the proto does not define the service', () => {
    expect(() =>
      createGrpcClient({ protoFile: FIXTURE, service: 'sluice.test.echo.Missing', address }),
    ).toThrow(/sluice\.test\.echo\.Missing is not defined in .*echo\.proto/);
  });
});
