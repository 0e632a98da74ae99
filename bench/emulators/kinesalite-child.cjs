'use strict';
// Child process that runs kinesalite on 127.0.0.1 (port 0 or argv port) and prints
// `{"port":N}` on stdout once listening. Options: JSON in argv[2]
// ({ path?, createStreamMs?, deleteStreamMs?, updateStreamMs?, shardLimit? }).
// Started by bench/emulators/kinesalite.ts; exits when its parent goes (see exit-with-parent.cjs).
require('./exit-with-parent.cjs');
const stream = require('node:stream');

// Fix 1 (test-notes.md): under a fast keep-alive client kinesalite could die of
// `Parse Error: Paused`; a larger default high-water mark avoids the parser pausing.
if (typeof stream.setDefaultHighWaterMark === 'function') {
  stream.setDefaultHighWaterMark(false, 4 * 1024 * 1024);
}

const options = JSON.parse(process.argv[2] || '{}');
const kinesalite = require('kinesalite');
const server = kinesalite({
  path: options.path || undefined,
  createStreamMs: options.createStreamMs ?? 0,
  deleteStreamMs: options.deleteStreamMs ?? 0,
  updateStreamMs: options.updateStreamMs ?? 0,
  shardLimit: options.shardLimit ?? 100000,
});

// Fix 2: kinesalite's request handler registers `req.on('error', err => { throw err })`, which
// turns a client's socket error into an uncaught exception. Replace that listener by one that
// counts the error and drops the connection.
let connectionErrors = 0;
let lastReport = 0;
function reportConnectionError(err) {
  connectionErrors++;
  const now = Date.now();
  if (now - lastReport >= 5000) {
    lastReport = now;
    process.stderr.write(`kinesalite-child: ${connectionErrors} connection error(s) so far, last: ${err && err.message}\n`);
  }
}
function isConnectionError(err) {
  const code = err && err.code;
  return typeof code === 'string' && (/^HPE_/.test(code) || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE');
}
const [kinesaliteHandler] = server.listeners('request');
server.removeAllListeners('request');
server.on('request', (req, res) => {
  kinesaliteHandler(req, res);
  req.removeAllListeners('error');
  req.on('error', (err) => {
    reportConnectionError(err);
    res.destroy();
  });
});
server.on('clientError', (err, socket) => {
  reportConnectionError(err);
  if (socket.writable && !socket.writableEnded) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  socket.destroy();
});
// Last line of defence for connection errors raised after kinesalite removed our listener
// (its sendRaw() calls req.removeAllListeners()). Anything else is a real bug: report and die.
process.on('uncaughtException', (err) => {
  if (isConnectionError(err)) {
    reportConnectionError(err);
    return;
  }
  process.stderr.write(`kinesalite-child: fatal: ${(err && err.stack) || err}\n`);
  process.exit(1);
});

server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;

function shutdown() {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(options.port || 0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port, pid: process.pid }) + '\n');
});
