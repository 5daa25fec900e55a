import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@sluice/config';
import { kafkaConnection, loadKafkaEnv } from './kafka-env';

describe('Kafka connection from the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-env-'));
  const ca = join(dir, 'ca.pem');
  const cert = join(dir, 'client.pem');
  const key = join(dir, 'client.key');
  writeFileSync(ca, 'CA PEM');
  writeFileSync(cert, 'CERT PEM');
  writeFileSync(key, 'KEY PEM');
  const base = { KAFKA_BROKERS: 'kafka-0:9093,kafka-1:9093' };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function problems(env: Record<string, string>): string[] {
    try {
      loadKafkaEnv(env, 'spec');
    } catch (error) {
      if (error instanceof ConfigError)
        return error.issues.map((issue) => `${issue.variable}: ${issue.problem}`);
      throw error;
    }
    return [];
  }

  it('builds TLS with a CA bundle and a client certificate, and SASL/SCRAM', () => {
    const config = loadKafkaEnv(
      {
        ...base,
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SSL_CERT_FILE: cert,
        KAFKA_SSL_KEY_FILE: key,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'sluice',
        KAFKA_SASL_PASSWORD: 's3cret',
      },
      'spec',
    );
    expect(kafkaConnection(config, 'aggregator')).toEqual({
      brokers: ['kafka-0:9093', 'kafka-1:9093'],
      clientId: 'aggregator',
      ssl: { ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM' },
      sasl: { mechanism: 'scram-sha-512', username: 'sluice', password: 's3cret' },
    });
  });

  it('uses plain TLS (system CAs + NODE_EXTRA_CA_CERTS) when only KAFKA_SSL is set', () => {
    const config = loadKafkaEnv({ ...base, KAFKA_SSL: 'true' }, 'spec');
    expect(kafkaConnection(config, 'x')).toMatchObject({ ssl: true, sasl: undefined });
  });

  it('treats empty credentials (a Secret with empty keys) as not set', () => {
    expect(problems({ ...base, KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' })).toEqual([]);
  });

  it('refuses a SASL mechanism without credentials, naming each missing variable', () => {
    expect(problems({ ...base, KAFKA_SASL_MECHANISM: 'plain' })).toEqual([
      'KAFKA_SASL_USERNAME: is required',
      'KAFKA_SASL_PASSWORD: is required',
    ]);
  });

  it('refuses credentials without a mechanism instead of connecting unauthenticated', () => {
    expect(problems({ ...base, KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual([
      'KAFKA_SASL_MECHANISM: is required',
    ]);
  });

  it('refuses a client certificate without its key, unreadable files, and files without KAFKA_SSL', () => {
    expect(problems({ ...base, KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: cert })).toEqual([
      'KAFKA_SSL_KEY_FILE: is required',
    ]);
    expect(
      problems({ ...base, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: join(dir, 'nope.pem') }),
    ).toEqual(['KAFKA_SSL_CA_FILE: must be a readable file']);
    expect(problems({ ...base, KAFKA_SSL_CA_FILE: ca })).toEqual([
      'KAFKA_SSL_CA_FILE: needs KAFKA_SSL=true (certificates are only used over TLS)',
    ]);
  });
});
