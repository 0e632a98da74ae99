/**
 * Per-device traffic weights (mean 1 over the whole fleet), computed from the global device index
 * alone so that worker slices of one fleet agree without a global pass:
 *
 * - uniform: 1.
 * - zipf(s): the device of rank r weighs N·r^−s / H(N, s); ranks are a seeded bijection of the
 *   indices (popular devices are scattered over the index space, so worker slices share them).
 * - hot-set(x, y): the round(x·N) devices of lowest rank are hot; hot ones weigh y/hot, the rest
 *   (1−y)/cold (normalised to mean 1): exactly x of the devices send y of the traffic in expectation.
 * - lognormal(σ): exp(σZ − σ²/2) with Z standard normal from a seeded hash: mean 1.
 */
import { mix3, unitOf } from '../../agent/keying/mix.ts';
import type { Popularity } from './config.ts';

/** Fills `out[i]` with the weight of global device `first + i` of a fleet of `total` devices. */
export function fillWeights(p: Popularity, seed: number, total: number, first: number, out: Float32Array): void {
  const n = out.length;
  switch (p.kind) {
    case 'uniform':
      out.fill(1);
      return;
    case 'zipf': {
      const h = harmonic(total, p.s);
      const perm = rankPermutation(total, seed);
      for (let i = 0; i < n; i++) out[i] = (total * (perm(first + i) + 1) ** -p.s) / h;
      return;
    }
    case 'hot-set': {
      const hotCount = hotDevices(total, p.devices);
      const coldCount = total - hotCount;
      const hot = coldCount === 0 ? 1 : (p.traffic * total) / hotCount;
      const cold = coldCount === 0 ? 1 : ((1 - p.traffic) * total) / coldCount;
      const perm = rankPermutation(total, seed ^ 0x407);
      for (let i = 0; i < n; i++) out[i] = perm(first + i) < hotCount ? hot : cold;
      return;
    }
    case 'lognormal': {
      const s = p.sigma;
      for (let i = 0; i < n; i++) out[i] = Math.exp(s * normalOf(seed, first + i) - (s * s) / 2);
      return;
    }
  }
}

/** How many devices a hot set of `fraction` holds (at least one). */
export function hotDevices(total: number, fraction: number): number {
  return Math.min(total, Math.max(1, Math.round(fraction * total)));
}

/** Whether global device `device` is in the hot set (same rule as fillWeights). */
export function isHot(seed: number, total: number, fraction: number, device: number): boolean {
  return rankPermutation(total, seed ^ 0x407)(device) < hotDevices(total, fraction);
}

/** Generalised harmonic number H(n, s) = Σ_{r=1..n} r^−s. */
export function harmonic(n: number, s: number): number {
  let h = 0;
  for (let r = n; r >= 1; r--) h += r ** -s; // small terms first: better rounding
  return h;
}

/**
 * A bijection of [0, n): rank(d) = (a·d + b) mod n with a near n/φ and coprime to n, so neighbouring
 * indices get distant ranks. Deterministic; no table.
 */
export function rankPermutation(n: number, seed: number): (d: number) => number {
  if (n <= 2) return (d) => d;
  let a = Math.max(1, Math.round(n * 0.6180339887498949));
  while (gcd(a, n) !== 1) a++;
  const b = (seed >>> 0) % n;
  // (a·d) may exceed 2^53 for n > 9.4e7: split the multiplication.
  return (d) => (mulMod(a, d, n) + b) % n;
}

function mulMod(a: number, d: number, n: number): number {
  if (a * d < Number.MAX_SAFE_INTEGER) return (a * d) % n;
  const hi = Math.floor(d / 65536);
  const lo = d % 65536;
  return (((a * hi) % n) * 65536 + a * lo) % n;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Standard normal from a seeded hash (Box–Muller on two hashed uniforms). */
function normalOf(seed: number, device: number): number {
  const u1 = (mix3(seed, 0x10a, device) + 1) / 4294967297;
  const u2 = unitOf(mix3(seed, 0x10b, device));
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
