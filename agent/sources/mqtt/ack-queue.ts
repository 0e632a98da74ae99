/**
 * Acknowledgements owed to the broker on one MQTT connection, in arrival order.
 *
 * Every QoS 1/2 PUBLISH gets a sequence number when it arrives. It may be acknowledged (PUBACK for
 * QoS 1, PUBREC for QoS 2) once it is *done*: either the batch holding it was accepted downstream
 * (`doneUpTo`, a watermark: batches complete in order) or it was refused and dead-lettered
 * (`markDone`). `take()` returns the acks for the done prefix as one buffer, so acks go out in the
 * order the PUBLISH packets arrived (MQTT 3.1.1 §4.6 / 5.0 §4.6) and in one socket write.
 *
 * Storage is a growable ring of typed arrays: no object per message.
 */

const PUBACK = 0x40;
const PUBREC = 0x50;

export class AckQueue {
  private ids: Uint16Array;
  private kinds: Uint8Array;
  private done: Uint8Array;
  private mask: number;
  /** Next sequence number to acknowledge. */
  private head = 0;
  /** Next sequence number to hand out. */
  private tail = 0;
  /** Every sequence number below this is done. */
  private watermark = 0;
  /** PUBREC packets handed out by `take()` so far (each answered by the broker's PUBREL). */
  pubrecsTaken = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity) cap <<= 1;
    this.ids = new Uint16Array(cap);
    this.kinds = new Uint8Array(cap);
    this.done = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  /** Messages received and not yet acknowledged. */
  get pending(): number {
    return this.tail - this.head;
  }

  /** The sequence number the next `push` will return. */
  get nextSeq(): number {
    return this.tail;
  }

  /** Registers a QoS 1 or 2 PUBLISH; returns its sequence number. */
  push(messageId: number, qos: 1 | 2): number {
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    this.ids[i] = messageId;
    this.kinds[i] = qos === 2 ? PUBREC : PUBACK;
    this.done[i] = 0;
    return this.tail++;
  }

  /** One message is done on its own (refused and dead-lettered). */
  markDone(seq: number): void {
    if (seq >= this.head && seq < this.tail) this.done[seq & this.mask] = 1;
  }

  /** Every message with a sequence number below `seqEnd` is done (its batch was accepted). */
  doneUpTo(seqEnd: number): void {
    if (seqEnd > this.watermark) this.watermark = Math.min(seqEnd, this.tail);
  }

  /** The wire bytes of every ack now due, in order (and forgets them); null when none is due. */
  take(): Buffer | null {
    let end = this.head;
    while (end < this.tail && (end < this.watermark || this.done[end & this.mask] === 1)) end++;
    const n = end - this.head;
    if (n === 0) return null;
    const out = Buffer.allocUnsafe(n * 4);
    let o = 0;
    for (let s = this.head; s < end; s++) {
      const i = s & this.mask;
      const id = this.ids[i] as number;
      // fixed header + remaining length 2 + packet id; in MQTT 5 a remaining length of 2 means
      // reason code 0x00 (success) with no properties (MQTT 5.0 §3.4.2.1, §3.5.2.1)
      const kind = this.kinds[i] as number;
      if (kind === PUBREC) this.pubrecsTaken++;
      out[o] = kind;
      out[o + 1] = 2;
      out[o + 2] = id >> 8;
      out[o + 3] = id & 0xff;
      o += 4;
    }
    this.head = end;
    return out;
  }

  private grow(): void {
    const oldCap = this.mask + 1;
    const cap = oldCap * 2;
    const ids = new Uint16Array(cap);
    const kinds = new Uint8Array(cap);
    const done = new Uint8Array(cap);
    for (let s = this.head; s < this.tail; s++) {
      const from = s & this.mask;
      const to = s & (cap - 1);
      ids[to] = this.ids[from] as number;
      kinds[to] = this.kinds[from] as number;
      done[to] = this.done[from] as number;
    }
    this.ids = ids;
    this.kinds = kinds;
    this.done = done;
    this.mask = cap - 1;
  }
}
