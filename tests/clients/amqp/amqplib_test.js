// amqplib 0.10 (promise and callback APIs) against the real mockforge binary.
// Usage: node amqplib_test.js <amqp port>
'use strict';
const assert = require('assert');
const path = require('path');
const amqp = require(path.join(__dirname, '..', 'node_modules', 'amqplib'));
const amqpCallback = require(path.join(__dirname, '..', 'node_modules', 'amqplib', 'callback_api'));

const url = `amqp://guest:guest@127.0.0.1:${process.argv[2]}`;

async function promiseApi() {
  const conn = await amqp.connect(url);
  const ch = await conn.createConfirmChannel();
  await ch.assertExchange('js.topic', 'topic', {durable: false});
  const {queue} = await ch.assertQueue('', {exclusive: true});
  assert.ok(queue.startsWith('amq.gen-'));
  await ch.bindQueue(queue, 'js.topic', 'orders.*');
  const headers = {'x-trace': 'abc', n: 42};
  await new Promise((resolve, reject) => ch.publish(
      'js.topic', 'orders.new', Buffer.from('order-1'), {headers, correlationId: 'c1'},
      (err) => err ? reject(err) : resolve()));
  const received = await new Promise((resolve) => {
    ch.consume(queue, (msg) => { ch.ack(msg); resolve(msg); });
  });
  assert.strictEqual(received.content.toString(), 'order-1');
  assert.strictEqual(received.fields.routingKey, 'orders.new');
  assert.strictEqual(received.properties.correlationId, 'c1');
  assert.deepStrictEqual(received.properties.headers, headers);

  // A channel error: publishing to a missing exchange closes the channel with 404.
  const bad = await conn.createChannel();
  const closed = new Promise((resolve) => bad.on('error', resolve));
  bad.publish('js.missing', 'k', Buffer.from('x'));
  const err = await closed;
  assert.strictEqual(err.code, 404);
  await conn.close();
}

function callbackApi() {
  return new Promise((resolve, reject) => {
    amqpCallback.connect(url, (err, conn) => {
      if (err) return reject(err);
      conn.createChannel((err2, ch) => {
        if (err2) return reject(err2);
        ch.assertQueue('js.cb', {durable: false}, (err3) => {
          if (err3) return reject(err3);
          ch.sendToQueue('js.cb', Buffer.from('cb-message'));
          ch.get('js.cb', {noAck: false}, (err4, msg) => {
            if (err4) return reject(err4);
            try {
              assert.strictEqual(msg.content.toString(), 'cb-message');
              ch.nack(msg, false, true);
              ch.get('js.cb', {noAck: true}, (err5, again) => {
                if (err5) return reject(err5);
                try {
                  assert.strictEqual(again.fields.redelivered, true);
                } catch (e) { return reject(e); }
                conn.close(() => resolve());
              });
            } catch (e) { reject(e); }
          });
        });
      });
    });
  });
}

(async () => {
  const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000);
  await promiseApi();
  await callbackApi();
  clearTimeout(timer);
  console.log('amqplib ok');
})().catch((e) => { console.error(e); process.exit(1); });
