/** The Spool contract for the disk modes: always × each fsync policy, and spill (sink up and down). */
import { join } from 'node:path';
import { FileSpool } from '../../agent/spool/file-spool.ts';
import { resolveSpoolOptions } from '../../agent/spool/spool-config.ts';
import type { FsyncPolicy } from '../../agent/spool/spool.ts';
import { removeDir, tempDir } from './helpers.ts';
import { spoolContract } from './spool-contract.ts';
import type { ContractOverrides } from './spool-contract.ts';

function make(mode: 'always' | 'spill', fsync: FsyncPolicy) {
  return (where: string, o?: ContractOverrides): FileSpool =>
    new FileSpool(
      resolveSpoolOptions({
        mode,
        dir: join(where, 'spool'),
        fsync,
        maxBytes: o?.maxBytes ?? 64 * 1024 * 1024,
        segmentBytes: o?.segmentBytes ?? 8 * 1024,
        onFull: o?.onFull ?? 'block',
        maxInFlight: o?.maxInFlight,
        cursorIntervalMs: 20,
      }),
    );
}

const base = { durable: true, setup: () => tempDir(), teardown: removeDir };

spoolContract({ ...base, name: 'always, fsync=batch', make: make('always', 'batch') });
spoolContract({ ...base, name: 'always, fsync=interval', make: make('always', 'interval') });
spoolContract({ ...base, name: 'always, fsync=never', make: make('always', 'never') });
spoolContract({ ...base, name: 'spill, sink healthy', make: make('spill', 'interval') });
spoolContract({ ...base, name: 'spill, sink down', make: make('spill', 'interval'), afterOpen: (s) => s.setSinkHealthy(false) });
