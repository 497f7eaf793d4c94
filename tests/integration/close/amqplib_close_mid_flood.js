// amqplib's callback API: publish until sendToQueue says the socket buffer is
// full, then close the connection at once. Exits 0 only if close completes
// without an error (against a broker that closes its socket with unread
// input, the client meets a reset: "write EPIPE" or ECONNRESET).
// Usage: node amqplib_close_mid_flood.js <amqp port>
'use strict';
const path = require('path');
const amqp = require(path.join(__dirname, '..', '..', 'clients', 'node_modules', 'amqplib', 'callback_api'));

const url = `amqp://guest:guest@127.0.0.1:${process.argv[2]}`;
process.on('uncaughtException', (err) => {
  console.error('uncaught:', err.message);
  process.exit(3);
});

amqp.connect(url, (err, conn) => {
  if (err) throw err;
  conn.on('error', (e) => {
    console.error('connection error:', e.message);
    process.exit(2);
  });
  conn.createChannel((err2, ch) => {
    if (err2) throw err2;
    ch.assertQueue('close.flood', {durable: false}, (err3) => {
      if (err3) throw err3;
      const body = Buffer.alloc(64, 'x');
      let sent = 0;
      while (ch.sendToQueue('close.flood', body)) sent++;
      conn.close((err4) => {
        if (err4) {
          console.error('close failed:', err4.message);
          process.exit(4);
        }
        console.log(`closed cleanly after ${sent} publishes`);
        process.exit(0);
      });
    });
  });
});
