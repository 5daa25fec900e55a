import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { StorageIoError } from './storage.errors';

/** Runs a filesystem operation, turning any failure into a StorageIoError naming it. */
export async function io<T>(
  operation: string,
  filePath: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw new StorageIoError(operation, filePath, err);
  }
}

/** Makes directory entries (created, renamed or deleted files) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  await io('fsync directory', dir, async () => {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** Replaces `filePath` atomically: write a temp file, fsync it, rename over, fsync the directory. */
export async function writeFileAtomic(filePath: string, data: Buffer | string): Promise<void> {
  const tmp = `${filePath}.tmp`;
  await io('write temp file', tmp, async () => {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
  await io('rename temp file', filePath, () => fs.rename(tmp, filePath));
  await fsyncDir(path.dirname(filePath));
}

/** Reads a file, or returns undefined when it does not exist. */
export async function readFileIfExists(filePath: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(filePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StorageIoError('read', filePath, err);
  }
}
