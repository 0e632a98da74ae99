/**
 * The direct transport's HTTP/1.1 client (agent/kinesis/http1.ts) against real Node HTTP(S)
 * servers on loopback: what it sends, keep-alive reuse, the socket limit, every way an answer can
 * be framed, and every way a request can fail (timeout, refused, cut, connect timeout).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Http1Pool, dechunk, type Http1Request } from '../../agent/kinesis/http1.ts';

type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;

interface Served {
  readonly port: number;
  readonly connections: () => number;
  close(): Promise<void>;
}

async function serve(handler: Handler, opts: { server?: http.Server } = {}): Promise<Served> {
  const server = opts.server ?? http.createServer();
  let connections = 0;
  server.on(server instanceof https.Server ? 'secureConnection' : 'connection', () => connections++);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const post = (body: string, extra: Partial<Http1Request> = {}): Http1Request => ({
  path: '/',
  headers: { host: 'localhost', 'content-type': 'application/x-amz-json-1.1', 'content-length': String(Buffer.byteLength(body)), 'x-amz-target': 'Kinesis_20131202.PutRecords' },
  body: Buffer.from(body),
  timeoutMs: 2000,
  ...extra,
});

const echo: Handler = (req, body, res) => {
  const answer = JSON.stringify({ target: req.headers['x-amz-target'], type: req.headers['content-type'], length: body.length, text: body.toString() });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
  res.end(answer);
};

const closers: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

describe('Http1Pool', () => {
  it('sends the headers and body as given, and reuses one keep-alive socket for requests one after another', async () => {
    const s = await serve(echo);
    closers.push(() => s.close());
    const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: s.port }, { maxSockets: 4 });
    closers.push(() => pool.destroy());
    for (let i = 0; i < 5; i++) {
      const big = 'x'.repeat(70_000 + i);
      const a = await pool.post(post(big));
      assert.equal(a.status, 200);
      assert.equal(a.headers.get('content-type'), 'application/json');
      assert.deepEqual(JSON.parse(a.body.toString()), { target: 'Kinesis_20131202.PutRecords', type: 'application/x-amz-json-1.1', length: big.length, text: big });
    }
    assert.equal(s.connections(), 1);
  });

  it('opens at most maxSockets sockets; the other requests wait for one', async () => {
    let busy = 0;
    let most = 0;
    const s = await serve((req, body, res) => {
      busy++;
      most = Math.max(most, busy);
      setTimeout(() => {
        busy--;
        echo(req, body, res);
      }, 20);
    });
    closers.push(() => s.close());
    const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: s.port }, { maxSockets: 2 });
    closers.push(() => pool.destroy());
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => pool.post(post(`r${i}`))));
    assert.deepEqual(answers.map((a) => JSON.parse(a.body.toString()).text), Array.from({ length: 10 }, (_, i) => `r${i}`));
    assert.equal(most, 2);
    assert.equal(s.connections(), 2);
  });

  it('reads chunked answers, answers that close the connection, and error statuses with their headers', async () => {
    const s = await serve((req, body, res) => {
      const text = body.toString();
      if (text === 'chunked') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"a":');
        setTimeout(() => res.end('[1,2,3]}'), 5);
      } else if (text === 'close') {
        res.writeHead(200, { connection: 'close', 'content-length': 2 });
        res.end('{}');
      } else if (text === 'empty') {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(400, { 'x-amzn-ErrorType': 'ValidationException:http://internal', 'content-length': 0 });
        res.end();
      }
    });
    closers.push(() => s.close());
    const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: s.port }, { maxSockets: 1 });
    closers.push(() => pool.destroy());
    assert.equal((await pool.post(post('chunked'))).body.toString(), '{"a":[1,2,3]}');
    const closed = await pool.post(post('close'));
    assert.equal(closed.body.toString(), '{}');
    const empty = await pool.post(post('empty'));
    assert.deepEqual([empty.status, empty.body.length], [204, 0]);
    const bad = await pool.post(post('bad'));
    assert.deepEqual([bad.status, bad.headers.get('x-amzn-errortype'), bad.body.length], [400, 'ValidationException:http://internal', 0]);
    assert.equal(s.connections(), 2, 'a new socket after the one the server closed, then reused');
  });

  it('drops idle sockets the server closed, without failing the next request', async () => {
    // As a server does when its keep-alive timeout ends: it closes the idle connection.
    const s = await serve((req, body, res) => {
      echo(req, body, res);
      setTimeout(() => req.socket.end(), 30);
    });
    closers.push(() => s.close());
    const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: s.port }, { maxSockets: 1 });
    closers.push(() => pool.destroy());
    assert.equal((await pool.post(post('one'))).status, 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await pool.post(post('two'))).status, 200);
    assert.equal(s.connections(), 2);
  });

  it('fails a request the server does not answer with TimeoutError, and serves the next one', async () => {
    const s = await serve((req, body, res) => {
      if (body.toString() === 'slow') return; // never answered
      echo(req, body, res);
    });
    closers.push(() => s.close());
    const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: s.port }, { maxSockets: 1 });
    closers.push(() => pool.destroy());
    await assert.rejects(pool.post(post('slow', { timeoutMs: 100 })), (e: Error) => e.name === 'TimeoutError' && /timed out after 100 ms/.test(e.message));
    assert.equal((await pool.post(post('fast'))).status, 200);
  });

  it('a refused connection rejects with ECONNREFUSED; an answer cut short with socket hang up (ECONNRESET)', async () => {
    const port = await new Promise<number>((r) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => r(p));
      });
    });
    const refused = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port }, { maxSockets: 1 });
    await assert.rejects(refused.post(post('x')), (e: NodeJS.ErrnoException) => e.code === 'ECONNREFUSED');
    const s = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    closers.push(() => s.close());
    const pool = new Http1Pool({ protocol: 'http:', hostname: '127.0.0.1', port: s.port }, { maxSockets: 1 });
    closers.push(() => pool.destroy());
    await assert.rejects(pool.post(post('x')), (e: NodeJS.ErrnoException) => e.code === 'ECONNRESET' && e.message === 'socket hang up');
  });

  it('over TLS: verifies the server against the given CA and speaks the same protocol; a TLS server that never finishes the handshake hits the connect timeout', async (t) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'http1-tls-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    } catch {
      t.skip('openssl is not installed');
      return;
    }
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    const s = await serve(echo, { server: https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert }) });
    closers.push(() => s.close());
    const pool = new Http1Pool({ protocol: 'https:', hostname: 'localhost', port: s.port }, { maxSockets: 1, ca: cert });
    closers.push(() => pool.destroy());
    for (const text of ['one', 'two']) assert.equal(JSON.parse((await pool.post(post(text))).body.toString()).text, text);
    assert.equal(s.connections(), 1);
    const untrusted = new Http1Pool({ protocol: 'https:', hostname: 'localhost', port: s.port }, { maxSockets: 1 });
    await assert.rejects(untrusted.post(post('x')), (e: NodeJS.ErrnoException) => /self.signed|certificate/i.test(e.message));
    // A plain TCP server that reads and never answers: the TLS handshake never completes.
    const mute = net.createServer((c) => c.resume());
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => mute.close(() => r())));
    const hanging = new Http1Pool({ protocol: 'https:', hostname: '127.0.0.1', port: (mute.address() as net.AddressInfo).port }, { maxSockets: 1 });
    await assert.rejects(hanging.post(post('x', { connectTimeoutMs: 100, timeoutMs: 5000 })), (e: Error) => e.name === 'TimeoutError' && /within the configured timeout of 100 ms/.test(e.message));
  });
});

describe('dechunk', () => {
  it('joins the chunks; waits for the last chunk and the blank line; refuses bad framing', () => {
    const b = (s: string): Buffer => Buffer.from(s, 'latin1');
    assert.equal((dechunk(b('HEAD5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\n\r\n'), 4) as Buffer).toString(), 'hello!');
    assert.equal((dechunk(b('3\r\nabc\r\n0\r\nx-trailer: 1\r\n\r\n'), 0) as Buffer).toString(), 'abc');
    assert.equal(dechunk(b('3\r\nabc\r\n0\r\n'), 0), undefined);
    assert.equal(dechunk(b('3\r\nab'), 0), undefined);
    assert.equal(dechunk(b('zz\r\nabc\r\n'), 0), 'bad');
    assert.equal(dechunk(b('3\r\nabcd\r\n'), 0), 'bad');
  });
});
