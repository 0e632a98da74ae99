import type { KeyingConfig as KeyingSection } from '../config/agent-config.ts';
import type { Clock } from '../core/clock.ts';
import { BalancedKeying } from '../keying/balanced-keying.ts';
import { createKeying, type KeyingConfig } from '../keying/create-keying.ts';
import { FileAssignmentStore } from '../keying/file-assignment-store.ts';
import { isAckAware, type KeyInput, type KeyResult, type KeyingStrategy } from '../keying/strategy.ts';
import type { ShardMap } from '../kinesis/shard-map.ts';
import type { Logger } from '../log/logger.ts';

/**
 * The agent's keying: builds the configured strategy once the shard map is known (balanced needs
 * it), keeps it current when the stream is resharded, reports acknowledgements to strategies that
 * move devices, and persists balanced placements every few seconds and on stop.
 */
export class KeyingStage {
  private strategy: KeyingStrategy | undefined;
  private map: ShardMap | undefined;
  private readonly store: FileAssignmentStore | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: KeyingSection,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.store = config.strategy === 'balanced' ? new FileAssignmentStore(config.balanced.stateFile as string) : undefined;
    if (!this.needsShardMap) this.strategy = createKeying(toKeyingConfig(config));
  }

  get needsShardMap(): boolean {
    return this.config.strategy === 'balanced';
  }

  /** Called with the producer's current map; returns true when it changed. */
  shardMapChanged(map: ShardMap | undefined): boolean {
    if (!map || map === this.map) return false;
    this.map = map;
    if (this.strategy instanceof BalancedKeying) this.strategy.setShardMap(map);
    else if (!this.strategy) this.strategy = createKeying(toKeyingConfig(this.config), { shardMap: map, clock: this.clock });
    return true;
  }

  async start(): Promise<void> {
    const s = this.strategy;
    if (s instanceof BalancedKeying && this.store) {
      const snap = await this.store.load();
      if (snap) s.restore(snap);
      this.timer = setInterval(() => void this.persist(), 5000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.persist();
  }

  keyFor(input: KeyInput): KeyResult {
    if (!this.strategy) throw new Error('keying: no shard map yet');
    return this.strategy.keyFor(input);
  }

  acked(deviceId: string): void {
    const s = this.strategy;
    if (s && isAckAware(s)) s.onAcked(deviceId, 1);
  }

  private async persist(): Promise<void> {
    const s = this.strategy;
    if (!(s instanceof BalancedKeying) || !this.store) return;
    try {
      await s.persist(this.store);
    } catch (err) {
      this.log.warn({ err }, 'could not save balanced keying placements');
    }
  }
}

function toKeyingConfig(c: KeyingSection): KeyingConfig {
  switch (c.strategy) {
    case 'device':
      return { kind: 'device' };
    case 'field':
      return { kind: 'field', field: c.field as string };
    case 'template':
      return { kind: 'template', template: c.template as string };
    case 'random':
      return { kind: 'random' };
    case 'salted':
      return { kind: 'salted', buckets: c.salt.buckets };
    case 'balanced':
      return { kind: 'balanced', threshold: c.balanced.rebalanceThreshold, moveAfterMs: c.balanced.rebalanceAfter, halfLifeMs: c.balanced.loadWindow / 2 };
  }
}
