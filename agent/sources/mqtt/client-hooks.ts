/**
 * The two places where we take acknowledgement away from mqtt.js (v5.x).
 *
 * mqtt.js handles incoming packets strictly one at a time: for a QoS 1 PUBLISH it calls
 * `handleMessage(packet, cb)`, and only once `cb` is called does it send the PUBACK and move on to
 * the next packet; for QoS 2 it stores the packet and sends PUBREC right away, and hands the message
 * to `handleMessage` only when PUBREL arrives. `customHandleAcks` (MQTT 5 only) has the same
 * one-at-a-time shape. Deferring the ack through those public hooks therefore stalls every later
 * packet (including PINGRESP) until the downstream has accepted one single message: no batching, and
 * a keepalive timeout whenever the downstream is slow.
 *
 * So: we read PUBLISH packets from the `packetreceive` event (emitted before mqtt.js handles them),
 * let mqtt.js run through its handlers without blocking, and drop the PUBACK/PUBREC it tries to send
 * (by wrapping the instance's private `_sendPacket`). The source writes the acks itself (see
 * ack-queue.ts) once `Downstream.accept` has resolved. PUBREL/PUBCOMP stay with mqtt.js: after our
 * PUBREC the broker sends PUBREL, and mqtt.js answers PUBCOMP (also after a reconnect, when its
 * in-memory store no longer knows the id).
 *
 * The pump is only held (the `proceed` callback deferred) when the source has too many messages
 * buffered, which makes TCP push back on the broker.
 */
import type { IPublishPacket, MqttClient, Packet } from 'mqtt';
import { ShardwiseError } from '../../core/errors.ts';

type Done = (err?: Error) => void;
type SendPacket = (packet: Packet, cb?: Done, cbStorePut?: () => void, noStore?: boolean) => void;

interface ClientInternals {
  _sendPacket: SendPacket;
  handleMessage(packet: IPublishPacket, callback: Done): void;
}

/** Decides when mqtt.js may go on to the next packet. */
export interface PumpGate {
  /** Calls `next` now, or later when the source has room again. */
  proceed(next: () => void): void;
}

/** Installs the hooks on a fresh client, before it has processed any packet. */
export function installAckHooks(client: MqttClient, gate: PumpGate): void {
  const internals = client as unknown as ClientInternals;
  const original = internals._sendPacket;
  if (typeof original !== 'function') {
    throw new ShardwiseError('E_MQTT_CLIENT', 'this mqtt.js version has no _sendPacket: cannot defer PUBACK/PUBREC (pinned to mqtt 5.x)');
  }
  internals._sendPacket = function sendPacketExceptAcks(this: ClientInternals, packet, cb, cbStorePut, noStore) {
    if (packet.cmd === 'puback' || packet.cmd === 'pubrec') {
      // mqtt.js acks on receipt; the source acks after accept instead
      if (cb !== undefined) gate.proceed(cb);
      return;
    }
    original.call(this, packet, cb, cbStorePut, noStore);
  };
  internals.handleMessage = function handleMessage(packet, callback) {
    // QoS 0: nothing to ack; the gate may hold the pump. QoS 1: the PUBACK step holds it.
    // QoS 2 (called at PUBREL, already accepted): go on so PUBCOMP is sent.
    if (packet.qos === 0) gate.proceed(callback);
    else callback();
  };
}
