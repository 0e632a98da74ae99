/**
 * MQTT topic filters: shared-subscription prefixes and wildcard matching (MQTT 3.1.1 §4.7, 5.0 §4.7–4.8).
 * Used to count messages per configured filter; the broker already did the routing.
 */

/** `$share/group/a/+/b` → `a/+/b`; any other filter unchanged. */
export function stripSharePrefix(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const slash = filter.indexOf('/', 7);
  return slash < 0 ? '' : filter.slice(slash + 1);
}

/** Whether `filter` is a `$share/{group}/{filter}` shared subscription (MQTT 5). */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith('$share/');
}

/**
 * Does `topic` match `filter` (no `$share/` prefix)? `+` matches one level, a trailing `#` any number
 * of levels including none (`a/#` matches `a`). Topics starting with `$` never match a filter that
 * starts with a wildcard.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === 36 /* $ */ && (filter[0] === '+' || filter[0] === '#')) return false;
  let f = 0;
  let t = 0;
  const fl = filter.length;
  const tl = topic.length;
  for (;;) {
    // one level of the filter: [f, fEnd); of the topic: [t, tEnd)
    let fEnd = filter.indexOf('/', f);
    if (fEnd < 0) fEnd = fl;
    const level = fEnd - f === 1 ? filter.charCodeAt(f) : -1;
    if (level === 35 /* # */) return true;
    if (t > tl) return false; // topic has fewer levels than the filter
    let tEnd = topic.indexOf('/', t);
    if (tEnd < 0) tEnd = tl;
    if (level !== 43 /* + */) {
      if (fEnd - f !== tEnd - t || !topic.startsWith(filter.slice(f, fEnd), t)) return false;
    }
    const fDone = fEnd >= fl;
    const tDone = tEnd >= tl;
    if (fDone && tDone) return true;
    if (fDone) return false;
    if (tDone) {
      // `a/#` matches `a`: the only way a longer filter still matches is a final `/#`
      return fEnd + 2 === fl && filter.charCodeAt(fEnd + 1) === 35;
    }
    f = fEnd + 1;
    t = tEnd + 1;
  }
}

/**
 * Maps a topic to the index of the first configured filter it matches, with a bounded cache
 * (topics repeat: one per device), so the hot path is one Map lookup.
 */
export class FilterIndex {
  private readonly filters: readonly string[];
  private readonly cache = new Map<string, number>();
  private readonly maxCache: number;

  constructor(filters: readonly string[], maxCache = 8192) {
    this.filters = filters.map(stripSharePrefix);
    this.maxCache = maxCache;
  }

  /** Index into the configured filters, or -1 when none matches. */
  indexOf(topic: string): number {
    const hit = this.cache.get(topic);
    if (hit !== undefined) return hit;
    let found = -1;
    for (let i = 0; i < this.filters.length; i++) {
      if (topicMatches(this.filters[i] as string, topic)) {
        found = i;
        break;
      }
    }
    if (this.cache.size >= this.maxCache) this.cache.clear();
    this.cache.set(topic, found);
    return found;
  }
}
