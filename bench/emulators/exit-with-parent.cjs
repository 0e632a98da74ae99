'use strict';
// Preloaded (`node --require`) into every emulator child: the parent holds the only write end of
// the child's stdin pipe, so EOF on stdin means the parent is gone (exited, crashed or was killed)
// and the child exits too. A crashed test therefore never leaves an emulator running.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
