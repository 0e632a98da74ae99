import { itemsTo, type Spool, type SpoolItem } from '../../agent/spool/spool.ts';

/**
 * A fake spool already holding `items` (oldest first) for shipper tests: `read` hands them out as
 * items and, with `viaParts`, `readTo` hands them out as parts; nothing else ever arrives. `onAck`
 * sees every ack.
 */
export function itemSpool(items: readonly SpoolItem[], viaParts: boolean, onAck: (id: number) => void): Spool {
  let next = 0;
  const take = (max: number): SpoolItem[] => items.slice(next, (next = Math.min(items.length, next + max)));
  return {
    read: async (max: number) => take(max),
    ...(viaParts ? { readTo: async (max: number, sink: Parameters<NonNullable<Spool['readTo']>>[1]) => itemsTo(take(max), sink) } : {}),
    waitForData: () => new Promise<boolean>(() => undefined),
    ack: onAck,
    setSinkHealthy: () => undefined,
  } as unknown as Spool;
}
