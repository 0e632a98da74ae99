/**
 * Server-side AWS Signature Version 4 verification for the fault proxy, so a test can assert that
 * wrong credentials become a typed error (neither kinesalite nor kinesis-local checks them).
 * Answers like the Kinesis service: 400 with a JSON `__type` of MissingAuthenticationTokenException,
 * IncompleteSignatureException, UnrecognizedClientException (unknown access key id) or
 * InvalidSignatureException (wrong secret, tampered request, or clock skew > 5 minutes).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SigV4Verdict = { ok: true } | { ok: false; type: string; message: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 5 * 60 * 1000;

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** `20261122T045753Z` → epoch ms, or NaN. */
function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function canonicalRequest(method: string, url: string, headers: IncomingHttpHeaders, signed: string[], body: Buffer): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  // Non-S3 services escape the (already escaped) path once more, segment by segment.
  const canonicalPath = path.split('/').map(rfc3986).join('/') || '/';
  const canonicalQuery = [...new URLSearchParams(query)]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signed.map((h) => `${h}:${(headerValue(headers, h) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  // The service hashes the body it received (x-amz-content-sha256, when sent, is only a signed header).
  const payloadHash = sha256Hex(body);
  return [method, canonicalPath, canonicalQuery, canonicalHeaders, signed.join(';'), payloadHash].join('\n');
}

/** Verifies the Authorization header of one request against `creds`. */
export function verifySigV4(
  req: { method?: string | undefined; url?: string | undefined; headers: IncomingHttpHeaders },
  body: Buffer,
  creds: StaticCredentials,
  nowMs: number = Date.now(),
): SigV4Verdict {
  const auth = headerValue(req.headers, 'authorization');
  if (auth === undefined) return { ok: false, type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' };
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(auth.trim());
  const amzDate = headerValue(req.headers, 'x-amz-date');
  if (m === null || amzDate === undefined) {
    return { ok: false, type: 'IncompleteSignatureException', message: `Authorization header requires 'Credential', 'SignedHeaders', 'Signature' and an X-Amz-Date header. Authorization=${auth}` };
  }
  const [, credential = '', signedHeaders = '', signature = ''] = m;
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (accessKeyId !== creds.accessKeyId) {
    return { ok: false, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
  }
  if (date === undefined || region === undefined || service === undefined || terminator !== 'aws4_request' || !amzDate.startsWith(date)) {
    return { ok: false, type: 'IncompleteSignatureException', message: `Credential should be scoped to a valid region and date. Credential=${credential}` };
  }
  const t = parseAmzDate(amzDate);
  if (!Number.isFinite(t) || Math.abs(nowMs - t) > MAX_SKEW_MS) {
    return { ok: false, type: 'InvalidSignatureException', message: `Signature expired: ${amzDate} is outside the 5 minute window around ${new Date(nowMs).toISOString()}.` };
  }
  const signed = signedHeaders.split(';');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const canonical = canonicalRequest(req.method ?? 'POST', req.url ?? '/', req.headers, signed, body);
  const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return {
      ok: false,
      type: 'InvalidSignatureException',
      message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    };
  }
  return { ok: true };
}
