/** A SpoolFs that fails chosen calls with an errno code, for disk-full and read-only tests. */
import { ioError, nodeSpoolFs } from '../../agent/spool/fs-ops.ts';
import type { SpoolFs } from '../../agent/spool/fs-ops.ts';

export interface Faults {
  /** errno code thrown by write() (and by open() for writing) while set. */
  write?: string | undefined;
  /** errno code thrown by read() while set. */
  read?: string | undefined;
  /** errno code thrown by fsync() while set. */
  fsync?: string | undefined;
  /** Fail only this many more calls, then clear the fault by itself. */
  times?: number | undefined;
  /** Calls failed so far. */
  failed: number;
}

export function faultyFs(): { fs: SpoolFs; faults: Faults } {
  const faults: Faults = { failed: 0 };
  const hit = (code: string | undefined): string | undefined => {
    if (code === undefined) return undefined;
    faults.failed++;
    if (faults.times !== undefined && --faults.times <= 0) {
      faults.write = undefined;
      faults.read = undefined;
      faults.fsync = undefined;
      faults.times = undefined;
    }
    return code;
  };
  const fs: SpoolFs = {
    ...nodeSpoolFs,
    open: (path, flags, mode) => {
      const code = flags === 'r' ? undefined : hit(faults.write);
      return code === undefined ? nodeSpoolFs.open(path, flags, mode) : Promise.reject(ioError(code, `open ${path}`));
    },
    write: (fd, buf, off, len, pos) => {
      const code = hit(faults.write);
      return code === undefined ? nodeSpoolFs.write(fd, buf, off, len, pos) : Promise.reject(ioError(code, 'write'));
    },
    read: (fd, buf, off, len, pos) => {
      const code = hit(faults.read);
      return code === undefined ? nodeSpoolFs.read(fd, buf, off, len, pos) : Promise.reject(ioError(code, 'read'));
    },
    fsync: (fd) => {
      const code = hit(faults.fsync);
      return code === undefined ? nodeSpoolFs.fsync(fd) : Promise.reject(ioError(code, 'fsync'));
    },
  };
  return { fs, faults };
}
