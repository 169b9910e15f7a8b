import fs from 'node:fs';
import os from 'node:os';

export class DirLockedError extends Error {}

export interface DirLock {
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite lets two processes open one data directory and corrupt it, so the platform
 * holds an exclusive lock file beside it. A lock left by a dead process is taken over.
 */
export function acquireDirLock(lockPath: string, guarded: string): DirLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(
        fd,
        JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }),
      );
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          fs.rmSync(lockPath, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readHolder(lockPath);
      if (holder && holder.host === os.hostname() && !processAlive(holder.pid)) {
        fs.rmSync(lockPath, { force: true });
        continue;
      }
      const who = holder
        ? `process ${holder.pid} on ${holder.host} since ${holder.since}`
        : 'another process';
      throw new DirLockedError(
        `The embedded database in ${guarded} is in use by ${who}. ` +
          `Stop that process, or give this one its own DATA_DIR. (Lock file: ${lockPath})`,
      );
    }
  }
  throw new DirLockedError(`Could not take the lock ${lockPath}`);
}

function readHolder(lockPath: string): { pid: number; host: string; since: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    return undefined;
  }
}
