/** The per-device key table a keying configuration needs on the bench path (none for random). */
import { ShardwiseError } from '../../agent/core/errors.ts';
import { templateOf } from '../../agent/keying/create-keying.ts';
import type { KeyingConfig } from '../../agent/keying/create-keying.ts';
import { KeyTable } from '../../agent/keying/device-keys.ts';
import { compileKeyTemplate } from '../../agent/keying/key-template.ts';
import type { DeviceAttributes } from './attributes.ts';
import type { DevicePattern } from './device-pattern.ts';

export function buildKeyTable(config: KeyingConfig, ids: DevicePattern, attrs: DeviceAttributes): KeyTable | undefined {
  if (config.kind === 'random') return undefined;
  const template = templateOf(config);
  if (template === undefined) return new KeyTable(ids);
  const tpl = compileKeyTemplate(template);
  for (const slot of tpl.slots) {
    if (slot !== 'device' && attrs.indexOfName(slot) < 0) {
      throw new ShardwiseError('E_CONFIG', `keying template ${JSON.stringify(template)}: {${slot}} is neither {device} nor a fleet attribute`);
    }
  }
  return new KeyTable(ids, (d) => tpl.render((name) => (name === 'device' ? ids.idOf(d) : attrs.value(name, d))) as string);
}
