let counter = 0;

/**
 * A name no other test file or run uses at the same time, usable as a PostgreSQL schema, Kafka
 * topic, consumer group or Redis key prefix: lower-case letters, digits and `_`, at most 63 chars.
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const cleanPrefix = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  const suffix = [
    process.pid.toString(36),
    Date.now().toString(36),
    counter.toString(36),
    Math.floor(Math.random() * 36 ** 4).toString(36),
  ].join('_');
  const name = `${cleanPrefix}_${suffix}`;
  return /^[a-z_]/.test(name) ? name : `t_${name}`;
}
