/**
 * Topic templates that locate the device id inside an MQTT topic, e.g. `devices/{device}/telemetry`.
 *
 * A template is split into `/`-separated levels, each one of:
 *  - `{device}`: the device id is this whole level (must be non-empty);
 *  - `pre{device}post`: a level with a literal prefix and/or suffix around the id (`dev-{device}`);
 *  - `+`: any one level, ignored;
 *  - `#`: (last level only) any number of remaining levels, including none;
 *  - anything else: a literal level that must match exactly.
 * Exactly one level holds `{device}`. Matching walks the topic with indexOf and allocates only the
 * returned id string.
 */
import { ShardwiseError } from '../../core/errors.ts';

const enum LevelKind {
  Literal,
  Any,
  Rest,
  Device,
}

interface Level {
  readonly kind: LevelKind;
  /** Literal text (Literal) or the prefix before `{device}` (Device). */
  readonly text: string;
  /** Suffix after `{device}` (Device only). */
  readonly suffix: string;
}

const DEVICE = '{device}';

export class TopicTemplate {
  readonly template: string;
  private readonly levels: readonly Level[];

  private constructor(template: string, levels: readonly Level[]) {
    this.template = template;
    this.levels = levels;
  }

  /** Parses and checks a template; throws `E_CONFIG` with the reason when it is not usable. */
  static compile(template: string): TopicTemplate {
    const bad = (why: string): ShardwiseError =>
      new ShardwiseError('E_CONFIG', `deviceId.fromTopic ${JSON.stringify(template)}: ${why}`);
    if (template.length === 0) throw bad('empty template');
    if (template.startsWith('$share/')) throw bad('use the topic as published, without the $share/{group}/ prefix');
    const parts = template.split('/');
    const levels: Level[] = [];
    let devices = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i] as string;
      if (p === '#') {
        if (i !== parts.length - 1) throw bad("'#' must be the last level");
        levels.push({ kind: LevelKind.Rest, text: '', suffix: '' });
      } else if (p === '+') {
        levels.push({ kind: LevelKind.Any, text: '', suffix: '' });
      } else if (p.includes(DEVICE)) {
        const at = p.indexOf(DEVICE);
        if (p.indexOf(DEVICE, at + 1) >= 0) throw bad('{device} appears twice in one level');
        const prefix = p.slice(0, at);
        const suffix = p.slice(at + DEVICE.length);
        if (/[+#{}]/.test(prefix + suffix)) throw bad(`level ${JSON.stringify(p)} mixes {device} with wildcards or braces`);
        levels.push({ kind: LevelKind.Device, text: prefix, suffix });
        devices++;
      } else {
        if (/[+#{}]/.test(p)) throw bad(`level ${JSON.stringify(p)}: wildcards must fill a whole level; the only placeholder is {device}`);
        levels.push({ kind: LevelKind.Literal, text: p, suffix: '' });
      }
    }
    if (devices !== 1) throw bad(`expected exactly one {device} level, found ${devices}`);
    return new TopicTemplate(template, levels);
  }

  /** The device id, or `undefined` when the topic does not fit the template (or the id is empty). */
  match(topic: string): string | undefined {
    const levels = this.levels;
    const tl = topic.length;
    let t = 0;
    let device: string | undefined;
    for (let i = 0; i < levels.length; i++) {
      const lv = levels[i] as Level;
      if (lv.kind === LevelKind.Rest) return device;
      if (t > tl) return undefined; // the topic ran out of levels
      let end = topic.indexOf('/', t);
      if (end < 0) end = tl;
      if (lv.kind === LevelKind.Literal) {
        if (end - t !== lv.text.length || !topic.startsWith(lv.text, t)) return undefined;
      } else if (lv.kind === LevelKind.Device) {
        const from = t + lv.text.length;
        const to = end - lv.suffix.length;
        if (to <= from) return undefined;
        if (lv.text.length > 0 && !topic.startsWith(lv.text, t)) return undefined;
        if (lv.suffix.length > 0 && !topic.startsWith(lv.suffix, to)) return undefined;
        device = topic.slice(from, to);
      }
      t = end + 1; // past the '/'; equals tl + 1 when this was the last topic level
    }
    return t > tl ? device : undefined; // the topic must not have levels left over
  }
}
