/**
 * A long Kinesis outage under MQTT QoS 1 load: the scenario of test/agent/outage.test.ts
 * (test/support/outage-scenario.ts) with a several-minute outage and the agent's own defaults
 * for timeouts and retries, run with the systemd unit's memory settings. One run (it takes minutes): the agent as a real process, 2,000 msg/s
 * of 160-byte messages from 400 devices through mosquitto, spool `spill`, kinesalite (2 shards,
 * per-shard limits at the service's 1 MiB/s) behind the fault proxy, whose requests hang while
 * Kinesis is "down" (packets vanish, as when an uplink dies).
 *
 * PERF_OUTAGE_SEC (default 180), PERF_OUTAGE_RATE (2000), PERF_OUTAGE_FAULT (hang | http-503 | reset),
 * PERF_OUTAGE_WARMUP_SEC (10).
 */
import type { WholeRequestFault } from '../../test/support/fault-proxy.ts';
import { runOutageScenario } from '../../test/support/outage-scenario.ts';
import { mdTable, runStandalone, type PerfSection } from './section.ts';

const MiB = 2 ** 20;

function env(name: string, dflt: number): number {
  const v = Number(process.env[name] ?? dflt);
  if (!(v > 0)) throw new RangeError(`${name}: expected a positive number, got ${process.env[name]}`);
  return v;
}

export async function run(): Promise<PerfSection> {
  const outageSec = env('PERF_OUTAGE_SEC', 180);
  const rate = env('PERF_OUTAGE_RATE', 2000);
  const warmupSec = env('PERF_OUTAGE_WARMUP_SEC', 10);
  const fault = (process.env['PERF_OUTAGE_FAULT'] ?? 'hang') as WholeRequestFault;
  const r = await runOutageScenario({
    ratePerSec: rate,
    devices: 400,
    payloadBytes: 160,
    shards: 2,
    warmupSec,
    outageSec,
    afterSec: 10,
    fault,
    spoolMode: 'spill',
    drainTimeoutSec: Math.max(300, outageSec * 2),
    log: (line) => process.stderr.write(`perf: ${line}\n`),
  });
  const c = r.check;
  const mib = (b: number): string => `${(b / MiB).toFixed(1)} MiB`;
  const pct = (x: number, of: number): string => {
    const v = ((x - of) / of) * 100;
    return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)} %`;
  };
  const replay =
    r.replay === null
      ? 'no replay pacing reported'
      : `${(r.replay.bytesPerSec / 1024).toFixed(0)} KiB/s of backlog against \`replayShare\` ${r.replay.share} → ${(r.replay.limitBytesPerSec / 1024).toFixed(0)} KiB/s (${((r.replay.bytesPerSec / r.replay.limitBytesPerSec) * 100).toFixed(0)} %)`;
  const rows: (string | number)[][] = [
    ['messages published (all PUBACKed)', `${r.published.toLocaleString('en')} at ${r.publishedPerSec.toFixed(0)}/s`],
    ['outage', `${outageSec} s (requests ${fault === 'hang' ? 'hang until the agent\'s 10 s request timeout' : `answered ${fault}`})`],
    ['received during the outage', r.receivedDuringOutage.toLocaleString('en')],
    ['spool at the end of the outage', `${r.spoolAtOutageEnd.records.toLocaleString('en')} records, ${mib(r.spoolAtOutageEnd.bytes)} (${mib(r.spoolAtOutageEnd.diskBytes)} of files)`],
    ['spool peak', `${r.spoolPeakRecords.toLocaleString('en')} records, ${mib(r.spoolPeakBytes)}`],
    ['agent RSS before (median of the warm-up\'s second half)', mib(r.rssBefore)],
    ['agent RSS during the outage (min – max)', `${mib(r.rssDuringMin)} – ${mib(r.rssDuringMax)} (${pct(r.rssDuringMin, r.rssBefore)} / ${pct(r.rssDuringMax, r.rssBefore)})`],
    ['agent RSS while draining (max)', `${mib(r.rssDrainMax)} (${pct(r.rssDrainMax, r.rssBefore)})`],
    ['agent RSS after', `${mib(r.rssAfter)} (${pct(r.rssAfter, r.rssBefore)})`],
    ['first acceptance after Kinesis came back', `${r.resumeSec.toFixed(1)} s`],
    ['drain (until the spool is back to its pre-outage level)', `${r.drainSec.toFixed(1)} s at ${r.drainRecordsPerSec.toFixed(0)} records/s, ${(r.drainBytesPerSec / 1024).toFixed(0)} KiB/s (live data included)`],
    ['drain against configuration', `${replay}; per-shard limits ${(r.capBytesPerSec / 1024).toFixed(0)} KiB/s`],
    ['lost / duplicates / order violations', `${c.lost} / ${c.duplicates} (${((c.duplicates / r.published) * 100).toFixed(3)} %) / ${c.orderViolations}`],
  ];
  return {
    title: `Agent: ${outageSec >= 60 ? `${(outageSec / 60).toFixed(outageSec % 60 === 0 ? 0 : 1)}-minute` : `${outageSec} s`} Kinesis outage under MQTT QoS 1 load`,
    command: 'npx tsx bench/perf/agent-outage.ts   (PERF_OUTAGE_SEC, PERF_OUTAGE_RATE, PERF_OUTAGE_FAULT, PERF_OUTAGE_WARMUP_SEC)',
    markdown: `${mdTable(['', 'measured'], rows)}

One run: \`shardwise-agent\` as its own process with the systemd unit's memory settings (its
NODE_OPTIONS and MALLOC_*; since 2026-12-07, before that Node's defaults) (spool \`spill\`, agent
defaults for timeouts, retries and \`replayShare\`), ${rate.toLocaleString('en')} msg/s of 160-byte QoS 1 messages from 400 devices through mosquitto
(persistent session, MQTT 5, \`maxInflight\` 1,000), kinesalite with 2 shards behind the fault proxy.
The issue's goals: the spool grows while RSS stays within ±20 % of its pre-outage level, every
acknowledged record is delivered in per-device order, drain as configured, duplicates ≤ 0.1 %.
Same checks, with a 20 s outage, in \`test/agent/outage.test.ts\`.`,
  };
}

void runStandalone(import.meta.url, run);
