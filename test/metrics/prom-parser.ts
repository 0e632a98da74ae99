/**
 * A strict little parser for the Prometheus text format (0.0.4), used to check what the agent
 * serves: every sample must follow its family's HELP and TYPE lines, label values must be properly
 * escaped, values must be numbers (or +Inf/-Inf/NaN). Throws on anything malformed.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help: string | undefined;
  type: string | undefined;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const lines = text.split('\n');
  lines.pop();
  for (const [n, line] of lines.entries()) {
    const where = `line ${n + 1}: ${line}`;
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const rest = line.slice(7);
      const sp = rest.indexOf(' ');
      const name = sp < 0 ? rest : rest.slice(0, sp);
      const arg = sp < 0 ? '' : rest.slice(sp + 1);
      const f = families.get(name) ?? { name, help: undefined, type: undefined, samples: [] };
      families.set(name, f);
      if (line.startsWith('# HELP ')) {
        if (f.help !== undefined) throw new Error(`duplicate HELP: ${where}`);
        f.help = unescapeHelp(arg);
      } else {
        if (f.type !== undefined || f.samples.length > 0) throw new Error(`TYPE after samples or twice: ${where}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(arg)) throw new Error(`bad TYPE: ${where}`);
        f.type = arg;
      }
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = parseSample(line, where);
    const family = familyOf(families, sample.name);
    if (!family) throw new Error(`sample without HELP/TYPE: ${where}`);
    family.samples.push(sample);
  }
  return families;
}

function familyOf(families: Map<string, Family>, name: string): Family | undefined {
  const direct = families.get(name);
  if (direct && direct.type !== 'histogram') return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f?.type === 'histogram') return f;
  }
  return undefined;
}

function parseSample(line: string, where: string): Sample {
  const m = NAME.exec(line);
  if (!m) throw new Error(`bad metric name: ${where}`);
  const name = m[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    while (line[i] !== '}') {
      const lm = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!lm) throw new Error(`bad label name: ${where}`);
      i += lm[0].length;
      if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected ="…": ${where}`);
      i += 2;
      let v = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new Error(`unterminated label value: ${where}`);
        if (c === '"') break;
        if (c === '\\') {
          const e = line[i + 1];
          if (e === '\\') v += '\\';
          else if (e === '"') v += '"';
          else if (e === 'n') v += '\n';
          else throw new Error(`bad escape \\${e}: ${where}`);
          i += 2;
          continue;
        }
        v += c;
        i++;
      }
      i++;
      if (lm[0] in labels) throw new Error(`duplicate label: ${where}`);
      labels[lm[0]] = v;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`expected , or }: ${where}`);
    }
    i++;
  }
  if (line[i] !== ' ') throw new Error(`expected a space before the value: ${where}`);
  const valueText = line.slice(i + 1).split(' ')[0] as string;
  const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
  if (valueText === '' || (Number.isNaN(value) && valueText !== 'NaN')) throw new Error(`bad value: ${where}`);
  return { name, labels, value };
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(n|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** The value of one sample, by name and exact labels; throws when absent. */
export function valueOf(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  throw new Error(`no sample ${name}${JSON.stringify(labels)}`);
}
