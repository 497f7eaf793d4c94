// AMQP 0-9-1 benchmark client on amqplib (Node): the second client of bench/tls/run.py's AMQP
// scenarios, beside rabbitmq-c's amqp_bench. One publisher connection and one consumer
// connection in this one Node process. Prints one JSON object on stdout, with the fields of
// amqp_bench that the drivers read.
//
//   node amqplib_bench.js --port P [--host H] [--cafile F] [--messages N] [--size B]
//                         [--prefetch 1000] [--confirms] [--window 1000] [--expect-all]
//
// N messages of B bytes through the default exchange to one queue; the consumer takes them
// with basic.qos prefetch and manual acks (multiple=true every 100 deliveries and at the end).
// --confirms publishes on a confirm channel with at most --window unconfirmed messages;
// otherwise the publisher waits for 'drain' whenever amqplib's buffer is full. Each message
// starts with its sequence number, so the consumer counts missing and duplicated ones.
// amqplib writes a publish's method, header and body frames as one buffer. publisher_cpu_s is
// the process's CPU time (one thread runs both sides) over the publishing.
'use strict';

const fs = require('fs');
const amqp = require('amqplib');

function parse(argv) {
  const o = {host: '127.0.0.1', port: 5672, cafile: null, messages: 100000, size: 256,
             prefetch: 1000, confirms: false, window: 1000, expectAll: false};
  for (let i = 2; i < argv.length; ++i) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--host') o.host = value();
    else if (arg === '--port') o.port = Number(value());
    else if (arg === '--cafile') o.cafile = value();
    else if (arg === '--messages') o.messages = Number(value());
    else if (arg === '--size') o.size = Number(value());
    else if (arg === '--prefetch') o.prefetch = Number(value());
    else if (arg === '--window') o.window = Number(value());
    else if (arg === '--confirms') o.confirms = true;
    else if (arg === '--expect-all') o.expectAll = true;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!(o.size >= 4)) throw new Error('--size must be at least 4 (the sequence number)');
  return o;
}

function cpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function main() {
  const o = parse(process.argv);
  const url = `${o.cafile ? 'amqps' : 'amqp'}://guest:guest@${o.host}:${o.port}`;
  const socketOptions = o.cafile ? {ca: [fs.readFileSync(o.cafile)], servername: o.host} : {};
  const consumerConnection = await amqp.connect(url, socketOptions);
  const publisherConnection = await amqp.connect(url, socketOptions);
  const queue = `amqplib-bench-${process.pid}-${Date.now()}`;

  const consumer = await consumerConnection.createChannel();
  await consumer.assertQueue(queue, {durable: false, autoDelete: false});
  await consumer.prefetch(o.prefetch);
  const seen = new Uint8Array(o.messages);
  let delivered = 0;
  let duplicates = 0;
  let foreign = 0;
  let unacked = null;
  let unackedCount = 0;
  let allDelivered;
  const done = new Promise((resolve) => { allDelivered = resolve; });
  await consumer.consume(queue, (message) => {
    if (message === null) return;  // cancelled by the broker: the queue is deleted at the end
    const n = message.content.length >= 4 ? message.content.readUInt32BE(0) : -1;
    if (n < 0 || n >= o.messages) ++foreign;
    else if (seen[n]) ++duplicates;
    else { seen[n] = 1; ++delivered; }
    unacked = message;
    if (++unackedCount >= 100 || delivered === o.messages) {
      consumer.ack(unacked, true);
      unacked = null;
      unackedCount = 0;
    }
    if (delivered === o.messages) allDelivered();
  }, {noAck: false});

  const channel = o.confirms ? await publisherConnection.createConfirmChannel()
                             : await publisherConnection.createChannel();
  let confirmed = 0;
  let nacked = 0;
  let outstanding = 0;
  let windowOpen = null;
  const start = process.hrtime.bigint();
  const cpuStart = cpuSeconds();
  for (let i = 0; i < o.messages; ++i) {
    const content = Buffer.alloc(o.size, 120);
    content.writeUInt32BE(i, 0);
    if (o.confirms) {
      if (outstanding >= o.window) {
        await new Promise((resolve) => { windowOpen = resolve; });
      }
      ++outstanding;
      channel.publish('', queue, content, {}, (error) => {
        if (error) ++nacked; else ++confirmed;
        --outstanding;
        if (windowOpen && outstanding < o.window) {
          const open = windowOpen;
          windowOpen = null;
          open();
        }
      });
    } else if (!channel.sendToQueue(queue, content)) {
      await new Promise((resolve) => channel.once('drain', resolve));
    }
  }
  if (o.confirms) await channel.waitForConfirms();
  const publishSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const publisherCpu = cpuSeconds() - cpuStart;
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(resolve, 60000); });
  await Promise.race([done, timeout]);
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;

  await consumer.deleteQueue(queue);
  await publisherConnection.close();
  await consumerConnection.close();
  const ok = (!o.confirms || confirmed === o.messages) &&
             (!o.expectAll || (delivered === o.messages && duplicates === 0 && foreign === 0));
  process.stdout.write(JSON.stringify({
    mode: 'direct', confirms: o.confirms, messages: o.messages, published: o.messages,
    confirmed, nacked, expected: o.messages, delivered, missing: o.messages - delivered,
    duplicates, foreign, publish_s: publishSeconds, publisher_cpu_s: publisherCpu, seconds, ok,
  }) + '\n');
  process.exitCode = ok ? 0 : 1;
}

main().catch((error) => {
  process.stderr.write(`amqplib_bench: ${error.stack || error}\n`);
  process.exitCode = 2;
});
