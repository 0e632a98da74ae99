'use strict';
// Preloaded (`node --require`) into agent children started by agent-process.ts: when the parent
// (the test) goes away, the child is re-parented and its ppid changes; then it exits too, so a
// crashed test never leaves an agent running. (bench/emulators/exit-with-parent.cjs watches stdin
// instead, which blocks tsx's module.register() in the agent's bin.mjs on Node 20.)
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
}, 500).unref();
