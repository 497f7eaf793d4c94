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

// Dead-lettering on nack and on queue TTL (by the broker's timer), and
// direct reply-to, through amqplib's promise API.
async function extensions() {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.assertExchange('js.dlx', 'fanout', {durable: false});
  const {queue: dlq} = await ch.assertQueue('js.dlq', {durable: false});
  await ch.bindQueue(dlq, 'js.dlx', '');
  await ch.assertQueue('js.work', {durable: false, deadLetterExchange: 'js.dlx'});
  await ch.assertQueue('js.ttl', {durable: false, messageTtl: 100, deadLetterExchange: 'js.dlx',
                                  deadLetterRoutingKey: 'expired'});
  ch.sendToQueue('js.work', Buffer.from('nacked'), {headers: {keep: 'me'}});
  const work = await getWithin(ch, 'js.work');
  ch.nack(work, false, false);
  const nacked = await getWithin(ch, dlq);
  assert.strictEqual(nacked.content.toString(), 'nacked');
  assert.strictEqual(nacked.properties.headers.keep, 'me');
  assert.strictEqual(nacked.properties.headers['x-first-death-reason'], 'rejected');
  const [death] = nacked.properties.headers['x-death'];
  assert.strictEqual(death.count, 1);
  assert.strictEqual(death.reason, 'rejected');
  assert.strictEqual(death.queue, 'js.work');
  assert.deepStrictEqual(death['routing-keys'], ['js.work']);
  ch.ack(nacked);

  ch.sendToQueue('js.ttl', Buffer.from('expired'));
  const expired = await getWithin(ch, dlq);
  assert.strictEqual(expired.fields.routingKey, 'expired');
  assert.strictEqual(expired.properties.headers['x-death'][0].reason, 'expired');
  assert.strictEqual(expired.properties.headers['x-last-death-queue'], 'js.ttl');
  ch.ack(expired);

  // Direct reply-to: the requester consumes the pseudo-queue with noAck.
  const server = await conn.createChannel();
  await server.assertQueue('js.rpc', {durable: false});
  await server.consume('js.rpc', (msg) => {
    server.sendToQueue(msg.properties.replyTo, Buffer.from(`re: ${msg.content}`),
                       {correlationId: msg.properties.correlationId});
    server.ack(msg);
  });
  const client = await conn.createChannel();
  const reply = new Promise((resolve) => client.consume(
      'amq.rabbitmq.reply-to', resolve, {noAck: true}));
  await client.checkQueue('js.rpc');  // the consume-ok has arrived
  client.sendToQueue('js.rpc', Buffer.from('ping'),
                     {replyTo: 'amq.rabbitmq.reply-to', correlationId: 'r1'});
  const answer = await reply;
  assert.strictEqual(answer.content.toString(), 're: ping');
  assert.strictEqual(answer.properties.correlationId, 'r1');
  assert.ok(answer.fields.routingKey.startsWith('amq.rabbitmq.reply-to.'));
  await conn.close();
}

// A quorum queue as services declare it (durable, x-queue-type) with a
// delivery limit: a poison message is redelivered with x-delivery-count, then
// dead-lettered (reason delivery_limit) after its last allowed delivery.
async function quorumQueue() {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const {queue: dlq} = await ch.assertQueue('js.quorum.dlq', {durable: true});
  await ch.assertQueue('js.quorum', {
    durable: true,
    deadLetterExchange: '',
    deadLetterRoutingKey: dlq,
    arguments: {'x-queue-type': 'quorum', 'x-delivery-limit': 1},
  });
  const other = await conn.createChannel();
  other.on('error', () => {});  // the channel error below
  await assert.rejects(
      other.assertQueue('js.quorum.transient',
                        {durable: false, arguments: {'x-queue-type': 'quorum'}}),
      /PRECONDITION_FAILED - invalid property 'non-durable'/);
  await ch.prefetch(1);
  const seen = [];
  const done = new Promise((resolve) => {
    ch.consume('js.quorum', (msg) => {
      seen.push([msg.fields.redelivered, (msg.properties.headers || {})['x-delivery-count']]);
      ch.nack(msg, false, true);
      if (seen.length === 2) resolve();
    });
  });
  ch.sendToQueue('js.quorum', Buffer.from('poison'));
  await done;
  assert.deepStrictEqual(seen, [[false, undefined], [true, 1]]);
  const dead = await getWithin(ch, dlq);
  assert.strictEqual(dead.content.toString(), 'poison');
  assert.strictEqual(dead.properties.headers['x-first-death-reason'], 'delivery_limit');
  ch.ack(dead);
  await conn.close();
}

async function getWithin(ch, queue) {
  for (let i = 0; i < 100; i++) {
    const msg = await ch.get(queue);
    if (msg) return msg;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing arrived in ${queue}`);
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
  await extensions();
  await quorumQueue();
  await callbackApi();
  clearTimeout(timer);
  console.log('amqplib ok');
})().catch((e) => { console.error(e); process.exit(1); });
