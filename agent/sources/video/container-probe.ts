/**
 * Picks the container by its first bytes (not by the file name) and runs its probe. Corrupt or
 * truncated data never throws from here: the result says `failed`/`partial` with a reason. Read
 * errors (I/O) do propagate: the caller retries the segment later.
 */
import type { ByteSource, ContainerInfo } from './byte-source.ts';
import { unknownInfo } from './byte-source.ts';
import { looksLikeMkv, probeMkv } from './mkv.ts';
import { looksLikeMp4, probeMp4 } from './mp4.ts';
import { looksLikeMpegTs, probeMpegTs } from './mpegts.ts';

export async function probeContainer(src: ByteSource): Promise<ContainerInfo> {
  const head = await src.read(0, 3 * 188);
  let container: ContainerInfo['container'] = 'unknown';
  if (looksLikeMpegTs(head)) container = 'mpegts';
  else if (looksLikeMkv(head)) container = 'mkv';
  else if (looksLikeMp4(head)) container = 'mp4';
  if (container === 'unknown') return unknownInfo('unknown', head.length === 0 ? 'empty file' : 'unrecognised container');
  try {
    if (container === 'mpegts') return await probeMpegTs(src);
    if (container === 'mkv') return await probeMkv(src);
    return await probeMp4(src);
  } catch (e) {
    // Read errors carry a syscall; everything else is the probe tripping over bad data.
    if (e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string') throw e;
    return unknownInfo(container, `unreadable ${container}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
