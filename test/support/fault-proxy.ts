/**
 * A fault-injecting HTTP proxy that speaks the Kinesis JSON protocol (POST, `X-Amz-Target:
 * Kinesis_20131202.<Op>`, `application/x-amz-json-1.1`) in front of an emulator.
 *
 * For each PutRecords request (or each request of `decideOps`) a decider picks the outcome:
 * forward it, fail some entries, or fail the whole request (HTTP 500/503, request-level throttle,
 * hang, hang after the upstream wrote the records, TCP reset). Failed entries are removed from
 * the forwarded request, so those records really are not written, and spliced back into the
 * upstream's answer at their original indexes with `FailedRecordCount` recomputed.
 * Other operations pass through unchanged. Optionally verifies SigV4 signatures.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4, type StaticCredentials } from './sigv4-check.ts';

export type EntryErrorCode = 'ProvisionedThroughputExceededException' | 'InternalFailure';
export type WholeRequestFault = 'http-500' | 'http-503' | 'throttle-request' | 'hang' | 'hang-after-forward' | 'reset';

export interface PutRecordsDecision {
  /**
   * Whole-request outcome. 'http-500' / 'http-503': InternalFailure / ServiceUnavailable;
   * 'throttle-request': 400 ProvisionedThroughputExceededException; 'hang': never answered, not
   * forwarded; 'hang-after-forward': forwarded (records written) but never answered; 'reset':
   * the connection is reset (TCP RST) without an answer. All but 'hang-after-forward' write nothing.
   */
  kind: 'forward' | WholeRequestFault;
  /** For 'forward' PutRecords: entry indexes to fail instead of forwarding them. */
  failEntries?: ReadonlyMap<number, EntryErrorCode>;
}

export interface DecisionContext {
  /** 0 for the first request handed to the decider, then 1, 2, … */
  requestNo: number;
  /** Operation name from X-Amz-Target, e.g. 'PutRecords'. */
  op: string;
  /** Number of entries (PutRecords `Records`), 0 for other operations. */
  entries: number;
}

export type Decider = (ctx: DecisionContext) => PutRecordsDecision;

export interface FaultProxyOptions {
  /** e.g. `http://127.0.0.1:4567` */
  upstream: string;
  /** Default: forward everything. */
  decide?: Decider;
  /** Operations handed to the decider (default ['PutRecords']); `failEntries` applies to PutRecords only. */
  decideOps?: readonly string[];
  /** When set, requests must be SigV4-signed with these credentials (any region). */
  requireCredentials?: StaticCredentials;
  /** Larger request bodies get 413 (default 16 MiB; a full 5 MiB PutRecords is ≈ 6.7 MiB of JSON). */
  maxBodyBytes?: number;
}

export interface FaultProxyStats {
  /** Every request received. */
  requests: number;
  /** PutRecords entries sent upstream. */
  forwardedEntries: number;
  /** PutRecords entries failed by `failEntries`. */
  failedEntries: number;
  /** Requests answered (or not answered) by a whole-request fault. */
  wholeRequestFaults: number;
  /** Requests refused by the SigV4 check. */
  credentialRejections: number;
  /** Requests the upstream could not be reached for (answered 502). */
  upstreamErrors: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly stats: FaultProxyStats;
  setDecider(fn: Decider): void;
  stop(): Promise<void>;
}

const AMZ_JSON = 'application/x-amz-json-1.1';
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'proxy-connection', 'upgrade']);
const FORWARD: PutRecordsDecision = { kind: 'forward' };

interface PutRecordsBody {
  StreamName?: string;
  Records?: unknown[];
  [k: string]: unknown;
}
interface PutRecordsResult {
  FailedRecordCount?: number;
  Records?: Record<string, unknown>[];
  [k: string]: unknown;
}

function entryErrorMessage(code: EntryErrorCode, stream: string): string {
  return code === 'InternalFailure' ? 'Internal service failure.' : `Rate exceeded for shard in stream ${stream} under account 000000000000.`;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  const headers: http.OutgoingHttpHeaders = { 'content-type': AMZ_JSON, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { __type: type, message }, type);
}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= max) chunks.push(c);
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const decideOps = new Set(opts.decideOps ?? ['PutRecords']);
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const stats: FaultProxyStats = { requests: 0, forwardedEntries: 0, failedEntries: 0, wholeRequestFaults: 0, credentialRejections: 0, upstreamErrors: 0 };
  let decide: Decider = opts.decide ?? (() => FORWARD);
  let decided = 0;
  const hung = new Set<http.ServerResponse>();

  /** Sends `body` upstream; resolves with its status, headers and body (undefined if unreachable). */
  function forward(req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer } | undefined> {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = v;
    headers['content-length'] = body.length;
    return new Promise((resolve) => {
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(chunks) }));
          r.on('error', () => resolve(undefined));
        },
      );
      up.on('error', () => resolve(undefined));
      up.end(body);
    });
  }

  function relay(res: http.ServerResponse, r: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(r.headers)) if (!HOP_HEADERS.has(k) && v !== undefined) headers[k] = v;
    headers['content-length'] = r.body.length;
    res.writeHead(r.status, headers);
    res.end(r.body);
  }

  function hang(res: http.ServerResponse): void {
    hung.add(res);
    res.on('close', () => hung.delete(res));
  }

  async function forwardAndRelay(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> {
    const r = await forward(req, body);
    if (r === undefined) {
      stats.upstreamErrors++;
      sendError(res, 502, 'InternalFailure', `fault-proxy: upstream ${opts.upstream} unreachable`);
      return;
    }
    relay(res, r);
  }

  /** Forwards the entries not in `fail`, then splices the failures back at their indexes. */
  async function forwardWithFailures(req: http.IncomingMessage, res: http.ServerResponse, parsed: PutRecordsBody, fail: ReadonlyMap<number, EntryErrorCode>): Promise<void> {
    const records = parsed.Records ?? [];
    const kept = records.filter((_, i) => !fail.has(i));
    const stream = parsed.StreamName ?? '';
    let upstreamResults: Record<string, unknown>[] = [];
    let extra: Record<string, unknown> = {};
    let headers: http.IncomingHttpHeaders = {};
    if (kept.length > 0) {
      const r = await forward(req, Buffer.from(JSON.stringify({ ...parsed, Records: kept })));
      if (r === undefined) {
        stats.upstreamErrors++;
        sendError(res, 502, 'InternalFailure', `fault-proxy: upstream ${opts.upstream} unreachable`);
        return;
      }
      if (r.status !== 200) return relay(res, r); // a whole-request error from upstream stays one
      stats.forwardedEntries += kept.length;
      const result = JSON.parse(r.body.toString('utf8')) as PutRecordsResult;
      upstreamResults = result.Records ?? [];
      extra = result;
      headers = r.headers;
    }
    stats.failedEntries += records.length - kept.length;
    const out: Record<string, unknown>[] = new Array(records.length);
    let next = 0;
    let failed = 0;
    for (let i = 0; i < records.length; i++) {
      const code = fail.get(i);
      const entry = code === undefined ? (upstreamResults[next++] ?? {}) : { ErrorCode: code, ErrorMessage: entryErrorMessage(code, stream) };
      if (entry['ErrorCode'] !== undefined) failed++;
      out[i] = entry;
    }
    const result = { ...extra, FailedRecordCount: failed, Records: out };
    if (kept.length === 0) return sendJson(res, 200, result);
    relay(res, { status: 200, headers, body: Buffer.from(JSON.stringify(result)) });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    stats.requests++;
    const body = await readBody(req, maxBody);
    if (body === undefined) {
      res.writeHead(413, { connection: 'close', 'content-length': 0 });
      res.end();
      return;
    }
    if (opts.requireCredentials !== undefined) {
      const verdict = verifySigV4(req, body, opts.requireCredentials);
      if (!verdict.ok) {
        stats.credentialRejections++;
        sendError(res, 400, verdict.type, verdict.message);
        return;
      }
    }
    const target = req.headers['x-amz-target'];
    const op = typeof target === 'string' ? (target.split('.')[1] ?? '') : '';
    if (!decideOps.has(op)) return forwardAndRelay(req, res, body);

    let parsed: PutRecordsBody | undefined;
    if (op === 'PutRecords') {
      try {
        parsed = JSON.parse(body.toString('utf8')) as PutRecordsBody;
      } catch {
        return forwardAndRelay(req, res, body); // let the upstream answer the malformed request
      }
    }
    const entries = parsed?.Records?.length ?? 0;
    const decision = decide({ requestNo: decided++, op, entries });
    if (decision.kind !== 'forward') stats.wholeRequestFaults++;
    switch (decision.kind) {
      case 'forward': {
        const fail = decision.failEntries;
        if (parsed !== undefined && fail !== undefined && fail.size > 0) return forwardWithFailures(req, res, parsed, fail);
        const r = await forward(req, body);
        if (r === undefined) {
          stats.upstreamErrors++;
          sendError(res, 502, 'InternalFailure', `fault-proxy: upstream ${opts.upstream} unreachable`);
          return;
        }
        if (r.status === 200) stats.forwardedEntries += entries;
        return relay(res, r);
      }
      case 'http-500':
        return sendError(res, 500, 'InternalFailure', 'Internal service failure.');
      case 'http-503':
        return sendError(res, 503, 'ServiceUnavailable', 'Service Unavailable');
      case 'throttle-request':
        return sendError(res, 400, 'ProvisionedThroughputExceededException', `Rate exceeded for stream ${parsed?.StreamName ?? ''} under account 000000000000.`);
      case 'hang':
        return hang(res);
      case 'hang-after-forward': {
        const r = await forward(req, body);
        if (r?.status === 200) stats.forwardedEntries += entries;
        return hang(res);
      }
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  }

  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (req.destroyed && !req.complete) return; // the client went away while sending: nothing to answer
      // A bug in the proxy or a broken upstream answer: make it visible to the client and the test.
      process.stderr.write(`fault-proxy: ${e instanceof Error ? e.stack : String(e)}\n`);
      if (!res.headersSent) sendError(res, 500, 'InternalFailure', `fault-proxy: ${String(e)}`);
      else res.destroy();
    });
  });
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    setDecider(fn: Decider): void {
      decide = fn;
    },
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      })),
  };
}
