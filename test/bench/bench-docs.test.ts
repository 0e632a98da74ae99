import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BENCH_DOCS_PATH, withCurrentReference } from '../../bench/scenario/gen-docs.ts';

test('docs/bench.md carries the current scenario reference (regenerate: npx tsx bench/scenario/gen-docs.ts)', () => {
  const doc = readFileSync(BENCH_DOCS_PATH, 'utf8');
  assert.equal(withCurrentReference(doc), doc);
  assert.match(doc, /`stream\.keying\.buckets \(kind: salted\)`/);
});
