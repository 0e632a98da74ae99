import { ShardwiseError } from '../core/errors.ts';
import type { UserRecord } from '../core/record.ts';
import type { Producer } from './producer.ts';
import type { ProducerListener } from './producer-types.ts';

export interface Accepted {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequence: number;
  readonly attempts: number;
}

/** Token of the promise-style API: the record's own resolve/reject. */
export interface Deferred {
  resolve(a: Accepted): void;
  reject(e: ShardwiseError): void;
}

/** Listener for a `Producer<Deferred>`: settles each record's promise. */
export const promiseListener: ProducerListener<Deferred> = {
  onAccepted(d, shardId, sequenceNumber, subSequence, attempts) {
    d.resolve({ shardId, sequenceNumber, subSequence, attempts });
  },
  onFailed(d, error) {
    d.reject(error);
  },
};

/** Adds one record and resolves with where it landed (rejects with a typed error). Convenient, not for hot paths. */
export function putRecord(producer: Producer<Deferred>, rec: UserRecord): Promise<Accepted> {
  return new Promise<Accepted>((resolve, reject) => {
    try {
      producer.add(rec, { resolve, reject });
    } catch (err) {
      reject(err instanceof ShardwiseError ? err : new ShardwiseError('E_INVALID_ARGUMENT', String(err), { cause: err }));
    }
  });
}
