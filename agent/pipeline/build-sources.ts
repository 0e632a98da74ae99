import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentConfig, SourceConfig } from '../config/agent-config.ts';
import type { Logger } from '../log/logger.ts';
import { FileSource } from '../sources/file/file-source.ts';
import { HostSource } from '../sources/host/host-source.ts';
import { MqttSource } from '../sources/mqtt/mqtt-source.ts';
import type { Source } from '../sources/source.ts';
import { VideoSource } from '../sources/video/video-source.ts';

/** Config → Source instances (constructors only store options; I/O starts in start()). */
export function buildSources(config: AgentConfig, log: Logger): Source[] {
  return config.sources.map((s) => buildSource(s, config, log));
}

/** Sources whose payload bytes are JSON text (the envelope can splice them without checking). */
export function jsonSourceNames(config: AgentConfig): string[] {
  return config.sources
    .filter((s) => (s.type === 'mqtt' && s.payload === 'json') || (s.type === 'file' && s.format === 'jsonl'))
    .map((s) => s.name);
}

/** One source (also used by a reload: `config` gives the running stateDir and gatewayId). */
export function buildSource(s: SourceConfig, config: AgentConfig, log: Logger): Source {
  const stateFile = (kind: string): string => path.join(config.stateDir, 'sources', `${s.name}.${kind}.json`);
  switch (s.type) {
    case 'mqtt':
      return new MqttSource({
        name: s.name,
        url: s.url,
        protocolVersion: s.protocolVersion,
        clientId: s.clientId as string,
        username: s.username,
        password: s.password,
        ca: s.ca === undefined ? undefined : readFileSync(s.ca),
        cert: s.cert === undefined ? undefined : readFileSync(s.cert),
        key: s.key === undefined ? undefined : readFileSync(s.key),
        rejectUnauthorized: s.rejectUnauthorized,
        clean: s.clean,
        sessionExpirySec: Math.round(s.sessionExpiry / 1000),
        keepaliveSec: Math.round(s.keepalive / 1000),
        reconnect: { minMs: s.reconnect.minMs, maxMs: s.reconnect.maxMs },
        topics: s.topics.map((t) => ({ filter: t.filter, qos: t.qos })),
        deviceId: 'fromTopic' in s.deviceId ? { fromTopic: s.deviceId.fromTopic } : { fromField: s.deviceId.fromField },
        payload: s.payload,
        maxInflight: s.maxInflight,
        log: log.child({ source: s.name }),
      });
    case 'file':
      return new FileSource({
        name: s.name,
        paths: s.paths,
        format: s.format,
        ...(s.format === 'csv' ? { csv: { delimiter: s.csv.delimiter, header: s.csv.header, columns: s.csv.columns } } : {}),
        deviceId: s.deviceId,
        startAt: s.startAt,
        pollIntervalMs: s.pollInterval,
        checkpointIntervalMs: s.checkpointInterval,
        checkpointPath: stateFile('checkpoint'),
        maxLineBytes: s.maxLineBytes,
        keepFields: config.keying.strategy === 'field' || config.keying.strategy === 'template',
      });
    case 'video':
      return new VideoSource({
        name: s.name,
        dir: s.dir,
        patterns: s.patterns,
        recursive: s.recursive,
        cameraId: s.cameraId,
        hash: s.hash,
        stableForMs: s.stableFor,
        pollIntervalMs: s.pollInterval,
        statePath: stateFile('video'),
      });
    case 'host':
      return new HostSource({
        name: s.name,
        gatewayId: config.gatewayId as string,
        intervalMs: s.interval,
        diskPath: s.spoolVolume as string,
        log: log.child({ source: s.name }),
      });
  }
}
