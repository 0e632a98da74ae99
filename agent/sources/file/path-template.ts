/**
 * Path templates that locate an id (device, camera) inside a file path, e.g.
 * `/var/log/{device}.log` or `{camera}/*.mp4`.
 *
 * Syntax: `{name}` captures one path segment part (no `/`); `*` matches within a segment; `?` one
 * character; `**` (or `...`) any run of characters including `/`; everything else is literal.
 * An absolute template (leading `/`) must match the whole absolute path; a relative one must match
 * a trailing part of the path that starts at a segment boundary (`{camera}/*.mp4` matches
 * `/srv/cams/front/0001.mp4` with camera `front`). With several placeholders the id is their
 * values joined by `/`. Compiled once; matching is done once per file, never per line.
 */
import { ShardwiseError } from '../../core/errors.ts';

const SPECIAL = /[.+^$()|[\]\\]/;

export class PathTemplate {
  readonly template: string;
  readonly names: readonly string[];
  private readonly re: RegExp;

  constructor(template: string, what = 'fromPath') {
    const names: string[] = [];
    let body = '';
    let i = 0;
    while (i < template.length) {
      const c = template[i] as string;
      if (c === '{') {
        const close = template.indexOf('}', i + 1);
        const name = close < 0 ? '' : template.slice(i + 1, close);
        if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
          throw new ShardwiseError('E_CONFIG', `${what} ${JSON.stringify(template)}: bad placeholder at ${i}`);
        }
        names.push(name);
        body += '([^/]+?)';
        i = close + 1;
      } else if (template.startsWith('**', i) || template.startsWith('...', i)) {
        body += '.*';
        i += template.startsWith('**', i) ? 2 : 3;
      } else if (c === '*') {
        body += '[^/]*';
        i++;
      } else if (c === '?') {
        body += '[^/]';
        i++;
      } else {
        body += SPECIAL.test(c) ? `\\${c}` : c;
        i++;
      }
    }
    if (names.length === 0) {
      throw new ShardwiseError('E_CONFIG', `${what} ${JSON.stringify(template)}: needs a placeholder such as {device}`);
    }
    this.template = template;
    this.names = names;
    this.re = new RegExp(template.startsWith('/') ? `^${body}$` : `(?:^|/)${body}$`);
  }

  /** The id found in `path`, or undefined when the path does not fit the template. */
  match(path: string): string | undefined {
    const m = this.re.exec(path);
    if (m === null) return undefined;
    if (m.length === 2) return m[1] === '' ? undefined : m[1];
    const parts: string[] = [];
    for (let k = 1; k < m.length; k++) {
      const v = m[k];
      if (v === undefined || v === '') return undefined;
      parts.push(v);
    }
    return parts.join('/');
  }
}
