/**
 * Per-device categorical attributes (site, country, tenant): each device's value is a seeded
 * weighted choice from its global index, computed on demand (no storage per device).
 */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { mix3, unitOf } from '../../agent/keying/mix.ts';
import type { DeviceAttribute } from './config.ts';

export class DeviceAttributes {
  private readonly names: string[];
  private readonly values: (readonly string[])[];
  private readonly cumulative: Float64Array[];

  constructor(
    attributes: readonly DeviceAttribute[],
    private readonly seed: number,
    private readonly first: number,
  ) {
    this.names = attributes.map((a) => a.name);
    this.values = attributes.map((a) => a.values);
    this.cumulative = attributes.map((a) => {
      const w = a.weights ?? a.values.map(() => 1);
      const total = w.reduce((x, y) => x + y, 0);
      if (!(total > 0)) throw new ShardwiseError('E_CONFIG', `fleet.attributes ${a.name}: weights must sum to > 0`);
      let acc = 0;
      return Float64Array.from(w, (x) => (acc += x / total));
    });
  }

  indexOfName(name: string): number {
    return this.names.indexOf(name);
  }

  /** Index of device `device`'s value of attribute `attr` (into the attribute's `values`). */
  valueIndex(attr: number, device: number): number {
    const cum = this.cumulative[attr] as Float64Array;
    const u = unitOf(mix3(this.seed ^ 0x5eed, attr, this.first + device));
    let k = 0;
    while (k < cum.length - 1 && u >= (cum[k] as number)) k++;
    return k;
  }

  valuesOf(attr: number): readonly string[] {
    return this.values[attr] as readonly string[];
  }

  /** The device's value of attribute `name`, or undefined when no such attribute exists. */
  value(name: string, device: number): string | undefined {
    const a = this.names.indexOf(name);
    return a < 0 ? undefined : (this.values[a] as readonly string[])[this.valueIndex(a, device)];
  }
}
