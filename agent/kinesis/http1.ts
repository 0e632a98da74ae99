/**
 * A small HTTP/1.1 client with keep-alive sockets, for the direct transport's signed JSON POSTs
 * (PutRecords, ListShards) to one origin. The agent sends thousands of requests a minute under
 * load, each a few tens of KiB; node:http spent ~60-90 us of CPU on each beyond the socket write
 * (request object, header validation, agent bookkeeping, the llhttp parser and its events), and
 * its warm-up weighed on short runs. This writes the head and the body with one corked write
 * and reads the answer with a parser for what such an answer can be: a status line, headers, and a
 * body framed by Content-Length, chunked encoding, or the end of the connection.
 *
 * Errors look like node:http's: a socket error as Node's error (`code` ECONNREFUSED, ...), a
 * connection closed before the answer as `socket hang up` (ECONNRESET), a timeout as an Error named
 * `TimeoutError`. Idle sockets do not keep the process alive, and are dropped when the server
 * closes them or after `idleMs`.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface Http1Origin {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: number | undefined;
}

export interface Http1Answer {
  readonly status: number;
  /** Header names in lower case; a repeated header keeps its last value. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
}

export interface Http1Options {
  /** Sockets open at once (busy and idle); further requests wait for one. */
  readonly maxSockets: number;
  /** An idle socket is closed after this long. Default 4 s (below Node servers' 5 s keep-alive). */
  readonly idleMs?: number | undefined;
  /** For https: certificate authorities to trust instead of Node's bundled ones. */
  readonly ca?: string | Buffer | undefined;
}

/** One POST: `headers` are sent as given (the signer's `host` and `content-length` among them). */
export interface Http1Request {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Socket inactivity limit while the request is out (connecting included). */
  readonly timeoutMs: number;
  /** Time to get a connected socket (none when absent). */
  readonly connectTimeoutMs?: number | undefined;
}

const CRLF_CRLF = Buffer.from('\r\n\r\n');
const NO_BODY = Buffer.alloc(0);

export class Http1Pool {
  private readonly idle: Conn[] = [];
  private open = 0;
  private readonly waiting: (() => void)[] = [];
  private destroyed = false;
  private readonly idleMs: number;

  constructor(
    private readonly origin: Http1Origin,
    private readonly opts: Http1Options,
  ) {
    this.idleMs = opts.idleMs ?? 4000;
  }

  async post(req: Http1Request): Promise<Http1Answer> {
    const head = requestHead(req);
    for (;;) {
      if (this.destroyed) throw Object.assign(new Error('the connection pool was closed'), { code: 'ECONNRESET' });
      const conn = this.idle.pop();
      if (conn !== undefined) {
        // The server may have ended it a moment ago (its 'close' still to come): not usable.
        if (conn.socket.writable) return this.exchange(conn, head, req);
        conn.socket.destroy();
        continue;
      }
      if (this.open < this.opts.maxSockets) {
        this.open++;
        return this.exchange(new Conn(this.connect(), () => this.closed()), head, req);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Closes the idle sockets now and each busy one once its answer is in; later requests fail. */
  destroy(): void {
    this.destroyed = true;
    for (const c of this.idle.splice(0)) c.socket.destroy();
    for (const w of this.waiting.splice(0)) w();
  }

  private async exchange(conn: Conn, head: string, req: Http1Request): Promise<Http1Answer> {
    let answer: Http1Answer;
    try {
      answer = await conn.send(head, req);
    } finally {
      if (conn.reusable && !this.destroyed) this.park(conn);
      else conn.socket.destroy();
      this.waiting.shift()?.();
    }
    return answer;
  }

  private park(conn: Conn): void {
    conn.socket.setTimeout(this.idleMs);
    conn.socket.unref();
    this.idle.push(conn);
  }

  /** A socket closed (by us or the server): it no longer counts, and leaves the idle list. */
  private closed(): void {
    this.open--;
    for (let i = this.idle.length - 1; i >= 0; i--) if ((this.idle[i] as Conn).socket.destroyed) this.idle.splice(i, 1);
    this.waiting.shift()?.();
  }

  private connect(): net.Socket {
    const { protocol, hostname, port } = this.origin;
    if (protocol === 'http:') return net.connect({ host: hostname, port: port ?? 80, noDelay: true });
    const servername = net.isIP(hostname) === 0 ? hostname : undefined;
    const socket = tls.connect({ host: hostname, port: port ?? 443, servername, ALPNProtocols: ['http/1.1'], ...(this.opts.ca === undefined ? {} : { ca: this.opts.ca }) });
    socket.setNoDelay(true);
    return socket;
  }
}

function requestHead(req: Http1Request): string {
  let head = `POST ${req.path} HTTP/1.1\r\n`;
  for (const name in req.headers) {
    const value = req.headers[name] as string;
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) throw new TypeError(`header ${JSON.stringify(name)}: line breaks are not allowed`);
    head += `${name}: ${value}\r\n`;
  }
  return `${head}connection: keep-alive\r\n\r\n`;
}

/** One socket and the answer being read on it. */
class Conn {
  /** The last answer allows another request on this socket. */
  reusable = false;
  private connected = false;
  private pending: { resolve: (a: Http1Answer) => void; reject: (e: Error) => void } | undefined;
  private chunks: Buffer[] = [];
  private received = 0;
  /** Parsed head of the answer being read (undefined until its blank line arrives). */
  private status = 0;
  private headers: Map<string, string> | undefined;
  private bodyStart = 0;
  /** Content-Length, -1 for chunked, -2 for "until the connection closes". */
  private length = 0;
  private connectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: net.Socket,
    onClose: () => void,
  ) {
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      if (this.connectTimer) clearTimeout(this.connectTimer);
    });
    socket.on('data', (d: Buffer) => this.data(d));
    socket.on('end', () => this.ended());
    socket.on('timeout', () => {
      if (this.pending) this.fail(Object.assign(new Error(`request timed out after ${socket.timeout ?? 0} ms`), { name: 'TimeoutError' }));
      socket.destroy();
    });
    socket.on('error', (err: Error) => this.fail(err));
    socket.on('close', () => {
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.fail(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      onClose();
    });
  }

  send(head: string, req: Http1Request): Promise<Http1Answer> {
    this.reusable = false;
    this.status = 0;
    this.headers = undefined;
    this.chunks = [];
    this.received = 0;
    const s = this.socket;
    s.ref();
    s.setTimeout(req.timeoutMs);
    if (!this.connected && req.connectTimeoutMs) {
      const ms = req.connectTimeoutMs;
      this.connectTimer = setTimeout(() => {
        this.fail(Object.assign(new Error(`the request socket did not establish a connection with the server within the configured timeout of ${ms} ms.`), { name: 'TimeoutError' }));
        s.destroy();
      }, ms);
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      s.cork();
      s.write(head, 'latin1');
      if (req.body.length > 0) s.write(req.body);
      s.uncork();
    });
  }

  private data(d: Buffer): void {
    if (this.pending === undefined) {
      // Bytes nobody asked for (an idle socket): the connection is out of step; drop it.
      this.socket.destroy();
      return;
    }
    this.chunks.push(d);
    this.received += d.length;
    this.parse();
  }

  private parse(): void {
    if (this.headers === undefined && !this.readHead()) return;
    if (this.length >= 0) {
      if (this.received - this.bodyStart >= this.length) this.done(this.joined().subarray(this.bodyStart, this.bodyStart + this.length), this.received - this.bodyStart > this.length);
    } else if (this.length === -1) {
      const body = dechunk(this.joined(), this.bodyStart);
      if (body === 'bad') this.protocolError('bad chunked encoding');
      else if (body !== undefined) this.done(body, false);
    }
  }

  /** Parses the status line and headers once they are all in; false while they are not. */
  private readHead(): boolean {
    const buf = this.joined();
    const end = buf.indexOf(CRLF_CRLF);
    if (end < 0) {
      if (buf.length > 64 * 1024) this.protocolError('answer head over 64 KiB');
      return false;
    }
    const lines = buf.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] as string);
    if (!m) {
      this.protocolError(`not an HTTP/1.x answer: ${JSON.stringify((lines[0] as string).slice(0, 40))}`);
      return false;
    }
    const status = Number(m[2]);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (status >= 100 && status < 200) {
      // An interim answer (100 Continue): skip it, the real one follows.
      const rest = buf.subarray(end + 4);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.received = rest.length;
      return rest.length > 0 && this.readHead();
    }
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    // 204 and 304 never have a body (RFC 9112 6.3).
    this.length = status === 204 || status === 304 ? 0 : te !== undefined && /chunked/i.test(te) ? -1 : cl !== undefined ? Number(cl) : -2;
    if (Number.isNaN(this.length) || this.length < -2) {
      this.protocolError(`bad content-length ${JSON.stringify(cl)}`);
      return false;
    }
    this.status = status;
    this.headers = headers;
    this.bodyStart = end + 4;
    this.reusable = m[1] === '1' && !/close/i.test(headers.get('connection') ?? '') && this.length !== -2;
    return true;
  }

  private ended(): void {
    // The server closed its side: an answer framed by the connection's end is complete now.
    if (this.pending !== undefined && this.headers !== undefined && this.length === -2) this.done(this.joined().subarray(this.bodyStart), false);
    this.reusable = false;
  }

  private done(body: Buffer, extra: boolean): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    if (extra) this.reusable = false;
    this.socket.setTimeout(0);
    const answer = { status: this.status, headers: this.headers as Map<string, string>, body: body.length > 0 ? body : NO_BODY };
    this.chunks = [];
    this.received = 0;
    p.resolve(answer);
  }

  private fail(err: Error): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    this.reusable = false;
    p.reject(err);
  }

  private protocolError(message: string): void {
    this.fail(Object.assign(new Error(`HTTP protocol error: ${message}`), { code: 'EPROTO' }));
    this.socket.destroy();
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.received)];
    return this.chunks[0] ?? NO_BODY;
  }
}

/** The body of a chunked answer that starts at `from`, undefined while incomplete, 'bad' when malformed. */
export function dechunk(buf: Buffer, from: number): Buffer | undefined | 'bad' {
  const parts: Buffer[] = [];
  let pos = from;
  for (;;) {
    const eol = buf.indexOf('\r\n', pos, 'latin1');
    if (eol < 0) return buf.length - pos > 1024 ? 'bad' : undefined;
    const size = parseInt(buf.toString('latin1', pos, eol).split(';')[0] as string, 16);
    if (Number.isNaN(size) || size < 0) return 'bad';
    const dataStart = eol + 2;
    // The last chunk, then trailers (rare) and a blank line: "0\r\n\r\n" at the least.
    if (size === 0) return buf.indexOf(CRLF_CRLF, eol) < 0 ? undefined : Buffer.concat(parts);
    if (buf.length < dataStart + size + 2) return undefined;
    if (buf[dataStart + size] !== 0x0d || buf[dataStart + size + 1] !== 0x0a) return 'bad';
    parts.push(buf.subarray(dataStart, dataStart + size));
    pos = dataStart + size + 2;
  }
}
