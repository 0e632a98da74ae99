/**
 * The agent's HTTP endpoint (node:http, no dependency):
 * - `GET /metrics`: Prometheus text format;
 * - `GET /healthz`: 200 `ok` when `ready()` says so, else 503 with the reason;
 * - `GET /status`: JSON (readiness + whatever `status()` returns: per-shard rates, skew, sources, spool).
 * Binds 127.0.0.1:9464 by default; port 0 picks a free port (tests). A lifecycle part (`start`/`stop`).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROMETHEUS_CONTENT_TYPE } from './exposition.ts';

/** `true`, or `{ ok: false, reason }`; a bare `false` reads as "not ready". */
export type Readiness = boolean | { readonly ok: boolean; readonly reason?: string | undefined };

export interface MetricsServerLog {
  error(fields: object, message: string): void;
}

export interface MetricsServerOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  /** Exposition text for `/metrics`. */
  readonly metrics: () => string;
  readonly ready: () => Readiness;
  /** JSON-serialisable body of `/status`. */
  readonly status: () => unknown;
  readonly log?: MetricsServerLog | undefined;
}

export const METRICS_DEFAULTS = { host: '127.0.0.1', port: 9464 } as const;

export class MetricsServer {
  readonly name = 'metrics';
  private server: Server | undefined;
  private boundPort = 0;

  constructor(private readonly opts: MetricsServerOptions) {}

  /** The port bound (useful with port 0); 0 before start. */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const host = this.opts.host ?? METRICS_DEFAULTS.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.boundPort}`;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(this.opts.port ?? METRICS_DEFAULTS.port, this.opts.host ?? METRICS_DEFAULTS.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => this.opts.log?.error({ err }, 'metrics server error'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', req.method === 'HEAD');
    }
    const head = req.method === 'HEAD';
    try {
      switch (path) {
        case '/metrics':
          return send(res, 200, PROMETHEUS_CONTENT_TYPE, this.opts.metrics(), head);
        case '/healthz': {
          const r = readiness(this.opts.ready());
          return r.ok ? send(res, 200, 'text/plain; charset=utf-8', 'ok\n', head) : send(res, 503, 'text/plain; charset=utf-8', `${r.reason}\n`, head);
        }
        case '/status': {
          const r = readiness(this.opts.ready());
          const body = { ready: r, ...(this.opts.status() as object) };
          return send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(body)}\n`, head);
        }
        case '/':
          return send(res, 200, 'text/plain; charset=utf-8', 'shardwise-agent: /metrics /healthz /status\n', head);
        default:
          return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
      }
    } catch (err) {
      this.opts.log?.error({ err, path }, 'metrics endpoint failed');
      return send(res, 500, 'text/plain; charset=utf-8', `error: ${(err as Error).message}\n`, head);
    }
  }
}

function readiness(r: Readiness): { ok: boolean; reason: string } {
  if (r === true) return { ok: true, reason: 'ok' };
  if (r === false) return { ok: false, reason: 'not ready' };
  return r.ok ? { ok: true, reason: 'ok' } : { ok: false, reason: r.reason ?? 'not ready' };
}

function send(res: ServerResponse, status: number, type: string, body: string, headOnly: boolean): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(headOnly ? undefined : body);
}
