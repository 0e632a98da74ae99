/**
 * Open-loop MQTT QoS 1 publisher for bench/perf/agent-mqtt.ts, run as its own process so its CPU
 * is not the measuring process's:
 *
 *   node --import tsx bench/perf/mqtt-load-publisher.ts '{"url":…,"rate":…,"seconds":…,"pub":0,…}'
 *
 * It stands for many devices elsewhere, so it must cost the shared 2 cores little: it speaks just
 * enough MQTT 3.1.1 itself (CONNECT, QoS 1 PUBLISH, PUBACK) and writes each tick's messages in one
 * socket write (≈ 1/10 of mqtt.js's CPU per message, measured here: mqtt.js took ≈ 15 µs).
 *
 * Waits for a line on stdin (the parent's "go", so several publishers start together), then
 * publishes `rate` messages/s for `seconds` at their intended times (a 2 ms tick catches up on
 * whatever is due: a late tick never lowers the offered load). Each message is a `bytes`-long JSON
 * object that starts `{"pub":P,"seq":N,"ts":MS,` (publisher, sequence number from 0, publish time),
 * so the reader can check for loss and measure publish → stream latency. Device d = seq mod
 * `devices` publishes to `devices/d0042/telemetry`, on connection d mod `connections`.
 *
 * stdout, one JSON line each: {"t":"ready"}, {"t":"p","sent","acked","lagMs"} every 500 ms,
 * {"t":"done","sent","acked","cpuSec","maxLagMs"} once every PUBACK arrived (or 30 s passed); it
 * exits when its stdin closes.
 */
import net from 'node:net';

interface Options {
  readonly url: string;
  readonly rate: number;
  readonly seconds: number;
  readonly pub: number;
  readonly devices: number;
  readonly connections: number;
  readonly bytes: number;
}

const o = JSON.parse(process.argv[2] ?? '{}') as Options;
const TICK_MS = 2;
/** Messages one tick may publish at most, so PUBACKs get read between bursts. */
const MAX_PER_TICK = Math.max(50, Math.ceil(o.rate / 100));
/** Unacknowledged messages per connection at most (packet ids are 16-bit). */
const MAX_INFLIGHT = 30_000;

/** One raw MQTT 3.1.1 connection: counts PUBACKs, hands out packet ids. */
class Conn {
  inflight = 0;
  acked = 0;
  private nextId = 1;
  private rest: Buffer = Buffer.alloc(0);
  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (b: Buffer) => this.onData(b));
  }
  id(): number {
    const id = this.nextId;
    this.nextId = id === 65_535 ? 1 : id + 1;
    return id;
  }
  private onData(chunk: Buffer): void {
    const b = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    while (at + 2 <= b.length) {
      let len = 0;
      let mul = 1;
      let p = at + 1;
      let byte: number;
      do {
        if (p >= b.length) break;
        byte = b[p++] as number;
        len += (byte & 0x7f) * mul;
        mul *= 128;
      } while (byte & 0x80);
      if (p + len > b.length || (byte! & 0x80) !== 0) break;
      if (((b[at] as number) & 0xf0) === 0x40) {
        this.acked++;
        this.inflight--;
      }
      at = p + len;
    }
    this.rest = at < b.length ? Buffer.from(b.subarray(at)) : Buffer.alloc(0);
  }
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    out.push(d);
  } while (n > 0);
  return out;
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

async function open(host: string, port: number, clientId: string): Promise<Conn> {
  const socket = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  // CONNECT: "MQTT", level 4, clean session, keep-alive 0 (off)
  const body = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 0]), utf8(clientId)]);
  socket.write(Buffer.concat([Buffer.from([0x10, ...varint(body.length)]), body]));
  const connack = await new Promise<Buffer>((resolve, reject) => socket.once('data', resolve).once('error', reject));
  if (connack[0] !== 0x20 || connack[3] !== 0) throw new Error(`CONNACK refused: ${connack.toString('hex')}`);
  return new Conn(socket);
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const u = new URL(o.url);
  const conns: Conn[] = [];
  for (let c = 0; c < o.connections; c++) conns.push(await open(u.hostname, Number(u.port || 1883), `perf-pub-${o.pub}-${c}-${process.pid}`));
  const topics = Array.from({ length: o.devices }, (_, d) => Buffer.from(`devices/d${String(d).padStart(4, '0')}/telemetry`));
  const head = Buffer.from([0x32, ...varint(2 + (topics[0] as Buffer).length + 2 + o.bytes)]);
  const packetBytes = head.length + 2 + (topics[0] as Buffer).length + 2 + o.bytes;
  const sent = new Array<number>(conns.length).fill(0);
  emit({ t: 'ready' });
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const total = Math.round(o.rate * o.seconds);
  let seq = 0;
  let lagMs = 0;
  let maxLagMs = 0;
  const acked = (): number => conns.reduce((a, c) => a + c.acked, 0);
  const t0 = performance.now();
  const progress = setInterval(() => emit({ t: 'p', sent: seq, acked: acked(), lagMs: Math.round(lagMs) }), 500);
  const bufs = conns.map(() => Buffer.allocUnsafe(MAX_PER_TICK * packetBytes));
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) * o.rate) / 1000));
      // how far behind its schedule the publisher is (the oldest due message not yet published)
      lagMs = due > seq ? now - t0 - (seq * 1000) / o.rate : 0;
      if (lagMs > maxLagMs) maxLagMs = lagMs;
      const end = Math.min(due, seq + MAX_PER_TICK);
      const fill = new Array<number>(conns.length).fill(0);
      const ts = Date.now();
      for (; seq < end; seq++) {
        const d = seq % o.devices;
        const c = d % conns.length;
        const conn = conns[c] as Conn;
        if (conn.inflight >= MAX_INFLIGHT) break; // the broker stopped acking: wait (counts as lag)
        const buf = bufs[c] as Buffer;
        let at = fill[c] as number;
        at += head.copy(buf, at);
        const topic = topics[d] as Buffer;
        buf[at++] = topic.length >> 8;
        buf[at++] = topic.length & 0xff;
        at += topic.copy(buf, at);
        const id = conn.id();
        buf[at++] = id >> 8;
        buf[at++] = id & 0xff;
        const json = `{"pub":${o.pub},"seq":${seq},"ts":${ts},"device":"d${d}","temp":21.5,"hum":40.25,"volt":3.31,"status":"ok","pad":"`;
        at += buf.write(json, at, 'latin1');
        const pad = o.bytes - json.length - 2;
        buf.fill(0x78, at, at + pad);
        at += pad;
        buf[at++] = 0x22; // "
        buf[at++] = 0x7d; // }
        fill[c] = at;
        conn.inflight++;
        sent[c] = (sent[c] as number) + 1;
      }
      for (let c = 0; c < conns.length; c++) {
        const n = fill[c] as number;
        if (n > 0) (conns[c] as Conn).socket.write(Buffer.from((bufs[c] as Buffer).subarray(0, n)));
      }
      if (seq >= total) resolve();
      else setTimeout(tick, due > seq ? 0 : TICK_MS);
    };
    tick();
  });
  const deadline = Date.now() + 30_000;
  while (acked() < seq && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  clearInterval(progress);
  const cpu = process.cpuUsage();
  emit({ t: 'done', sent: seq, acked: acked(), cpuSec: (cpu.user + cpu.system) / 1e6, maxLagMs: Math.round(maxLagMs) });
  // stay (for the parent's CPU readings) until it closes our stdin
  if (!process.stdin.readableEnded) await new Promise((r) => process.stdin.once('end', r).resume());
  for (const c of conns) c.socket.end(Buffer.from([0xe0, 0])); // DISCONNECT
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`mqtt-load-publisher: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
