/**
 * Coalesces the acknowledgements of one MQTT source into few socket writes. Once a batch was
 * accepted its acks are due; they go out in one write as soon as a quarter of the broker's
 * in-flight window (`maxInflight`) is due, so the broker never waits on us, else within `delayMs`.
 * At low rates that is one write per few messages instead of one per socket read: on loopback each
 * write also wakes the broker, which made ack writes ~1/5 of the agent's CPU at 5,000 msg/s.
 */
import type { Link } from './intake.ts';

/** Default longest wait before due acks are written. */
export const ACK_DELAY_MS = 5;

export class AckFlusher {
  private link: Link | null = null;
  private due = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly batch: number;

  constructor(
    maxInflight: number,
    private readonly delayMs: number,
    /** Writes every due ack of the link, in order, in one write (nothing if the link is dead). */
    private readonly write: (link: Link) => void,
  ) {
    this.batch = Math.max(1, Math.floor(maxInflight / 4));
  }

  /** `n` more messages of `link` may be acknowledged; `now` writes at once (stopping, draining). */
  soon(link: Link, n: number, now = false): void {
    if (this.link !== link) this.flush();
    this.link = link;
    this.due += n;
    if (now || this.due >= this.batch || this.delayMs <= 0) this.flush();
    else this.timer ??= setTimeout(this.onTimer, this.delayMs);
  }

  /** Writes what is due now (nothing on a dead link: the broker redelivers those). */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const link = this.link;
    this.link = null;
    this.due = 0;
    if (link !== null) this.write(link);
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.flush();
  };
}
