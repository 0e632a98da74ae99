/**
 * Is this byte range one JSON text (RFC 8259: any value, surrounding whitespace allowed) in valid
 * UTF-8? A single pass over the bytes that allocates nothing (a small depth stack, reused), so
 * the enriched envelope can splice a JSON payload into its own JSON as is, without JSON.parse +
 * JSON.stringify. Nesting deeper than `MAX_DEPTH` counts as not JSON (the caller base64-encodes).
 */
import { isUtf8 } from 'node:buffer';

export const MAX_DEPTH = 256;

const OBJ = 1;
const ARR = 2;
const stack = new Uint8Array(MAX_DEPTH);
/** Set by `str` when a string holds a byte ≥ 0x80 (only strings may): then UTF-8 is checked once at the end. */
let sawHigh = false;
/** The capture of the running scan (undefined: plain validation). */
let cap: JsonCapture | undefined;
/** Slot whose value is being scanned, or -1. */
let capSlot = -1;

/**
 * Top-level members of an object to locate while validating, so a caller can read a field or two
 * without JSON.parse building the whole object. After a scan, `start[k]`/`end[k]` span the raw
 * value text of `keys[k]` (the last occurrence, as JSON.parse keeps), or -1 when absent.
 */
export class JsonCapture {
  readonly keys: readonly Uint8Array[];
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** A top-level key held an escape sequence: it might spell a wanted key, so the spans are not trustworthy. */
  escapedKey = false;
  constructor(keys: readonly string[]) {
    this.keys = keys.map((k) => Buffer.from(k, 'utf8'));
    this.start = new Int32Array(keys.length);
    this.end = new Int32Array(keys.length);
  }
  reset(): void {
    // A loop, not fill(): one or two keys, scanned per line; a native call each costs more.
    for (let k = 0; k < this.start.length; k++) {
      this.start[k] = -1;
      this.end[k] = -1;
    }
    this.escapedKey = false;
  }
}

/** Like isJsonText, also filling `capture` (reset first) with the spans of its keys' values. */
export function scanJson(b: Uint8Array, start: number, end: number, capture: JsonCapture): boolean {
  capture.reset();
  cap = capture;
  capSlot = -1;
  try {
    return isJsonText(b, start, end);
  } finally {
    cap = undefined;
  }
}

// Character codes.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;

export function isJsonText(b: Uint8Array, start = 0, end = b.length): boolean {
  if (cap === undefined) capSlot = -1;
  let i = ws(b, start, end);
  let depth = 0;
  sawHigh = false;
  for (;;) {
    // A value starts at i.
    if (i >= end) return false;
    const c = b[i] as number;
    if (c === LBRACE || c === LBRACKET) {
      if (depth >= MAX_DEPTH) return false;
      stack[depth++] = c === LBRACE ? OBJ : ARR;
      i = ws(b, i + 1, end);
      if (b[i] === (c === LBRACE ? RBRACE : RBRACKET) && i < end) {
        depth--;
        i++;
      } else {
        if (c === LBRACE) {
          i = key(b, i, end, depth);
          if (i < 0) return false;
        }
        continue;
      }
    } else if (c === QUOTE) {
      i = str(b, i, end);
      if (i < 0) return false;
    } else if (c === MINUS || (c >= ZERO && c <= 0x39)) {
      i = num(b, i, end);
      if (i < 0) return false;
    } else if (c === 0x74) {
      if (!lit(b, i, end, 'true')) return false;
      i += 4;
    } else if (c === 0x66) {
      if (!lit(b, i, end, 'false')) return false;
      i += 5;
    } else if (c === 0x6e) {
      if (!lit(b, i, end, 'null')) return false;
      i += 4;
    } else return false;
    // After a value: close containers or move to the next member.
    for (;;) {
      if (capSlot >= 0 && depth === 1) {
        (cap as JsonCapture).end[capSlot] = i;
        capSlot = -1;
      }
      i = ws(b, i, end);
      if (depth === 0) return i === end && (!sawHigh || isUtf8(b.subarray(start, end)));
      if (i >= end) return false;
      const top = stack[depth - 1];
      const d = b[i] as number;
      if (d === COMMA) {
        i = ws(b, i + 1, end);
        if (top === OBJ) {
          i = key(b, i, end, depth);
          if (i < 0) return false;
        }
        break;
      }
      if ((top === OBJ && d === RBRACE) || (top === ARR && d === RBRACKET)) {
        depth--;
        i++;
        continue;
      }
      return false;
    }
  }
}

function ws(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i] as number;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** `"key" :` then whitespace; returns the index of the member's value, or -1. */
function key(b: Uint8Array, i: number, end: number, depth: number): number {
  if (b[i] !== QUOTE || i >= end) return -1;
  const j = str(b, i, end);
  if (j < 0) return -1;
  const k = ws(b, j, end);
  if (b[k] !== COLON || k >= end) return -1;
  const v = ws(b, k + 1, end);
  if (cap !== undefined && depth === 1) capture(cap, b, i + 1, j - 1, v);
  return v;
}

/** A top-level key spans b[from, to): if it is a wanted one, its value starts at v. */
function capture(c: JsonCapture, b: Uint8Array, from: number, to: number, v: number): void {
  const len = to - from;
  for (let k = 0; k < c.keys.length; k++) {
    const want = c.keys[k] as Uint8Array;
    if (want.length !== len) continue;
    let same = true;
    for (let x = 0; x < len; x++) {
      if (b[from + x] !== want[x]) {
        same = false;
        break;
      }
    }
    if (same) {
      c.start[k] = v;
      capSlot = k;
      return;
    }
  }
  for (let x = from; x < to; x++) {
    if (b[x] === BACKSLASH) {
      c.escapedKey = true;
      return;
    }
  }
}

/** Per byte inside a string: 0 plain, 1 ends or escapes (quote, backslash), 2 invalid (control), 3 plain but ≥ 0x80. */
const STR_CLASS = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STR_CLASS[c] = 2;
STR_CLASS[QUOTE] = 1;
STR_CLASS[BACKSLASH] = 1;
for (let c = 0x80; c < 0x100; c++) STR_CLASS[c] = 3;

/** A string starting at the quote at i; returns the index after the closing quote, or -1. */
function str(b: Uint8Array, i: number, end: number): number {
  i++;
  while (i < end) {
    const c = b[i] as number;
    const k = STR_CLASS[c] as number;
    if (k === 0) {
      i++;
      continue;
    }
    if (k === 3) {
      sawHigh = true;
      i++;
      continue;
    }
    if (k === 2) return -1;
    if (c === QUOTE) return i + 1;
    // Backslash: \" \\ \/ \b \f \n \r \t or \uXXXX.
    const e = b[i + 1];
    if (i + 1 >= end || e === undefined) return -1;
    if (e === 0x75) {
      for (let k2 = 2; k2 < 6; k2++) if (i + k2 >= end || !isHex(b[i + k2] as number)) return -1;
      i += 6;
      continue;
    }
    if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return -1;
    i += 2;
  }
  return -1;
}

/** -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? ; returns the index after it, or -1. */
function num(b: Uint8Array, i: number, end: number): number {
  if (b[i] === MINUS) i++;
  if (i >= end) return -1;
  if (b[i] === ZERO) i++;
  else if (isDigit(b[i])) while (i < end && isDigit(b[i])) i++;
  else return -1;
  if (i < end && b[i] === DOT) {
    i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  if (i < end && (b[i] === 0x65 || b[i] === 0x45)) {
    i++;
    if (i < end && (b[i] === PLUS || b[i] === MINUS)) i++;
    if (i >= end || !isDigit(b[i])) return -1;
    while (i < end && isDigit(b[i])) i++;
  }
  return i;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function lit(b: Uint8Array, i: number, end: number, word: string): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word.charCodeAt(k)) return false;
  return true;
}
