import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planReload } from '../../agent/reload.ts';
import { agentConfig } from '../support/agent-fixture.ts';

const base = {
  gatewayId: 'gw',
  stateDir: '/tmp/x',
  sources: [{ type: 'host', name: 'h' }],
  sink: { type: 'kinesis', stream: 's', region: 'us-east-1' },
};

describe('SIGHUP reload plan', () => {
  it('applies a new log level live and asks for nothing else', () => {
    const plan = planReload(agentConfig(base), agentConfig({ ...base, log: { level: 'debug' } }));
    assert.equal(plan.logLevel, 'debug');
    assert.deepEqual(plan.needsRestart, []);
  });
  it('names the sections that only a restart applies', () => {
    const plan = planReload(agentConfig(base), agentConfig({ ...base, sink: { ...base.sink, stream: 'other' }, spool: { mode: 'always' } }));
    assert.equal(plan.logLevel, undefined);
    assert.deepEqual([...plan.needsRestart].sort(), ['sink', 'spool']);
  });
  it('an unchanged file changes nothing', () => {
    const plan = planReload(agentConfig(base), agentConfig(base));
    assert.deepEqual(plan, { logLevel: undefined, needsRestart: [] });
  });
});
