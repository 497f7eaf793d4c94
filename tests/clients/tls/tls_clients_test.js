// amqplib over amqps:// (PLAIN, and EXTERNAL with a client certificate) and MQTT.js over
// wss:// (with and without a client certificate) against a mockforge started by
// test_tls_clients.py. Usage: node tls_clients_test.js <amqps port> <wss port> <certs dir>
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const amqp = require('amqplib');
const mqtt = require('mqtt');

const [amqpsPort, wssPort, certs] = process.argv.slice(2);
const ca = fs.readFileSync(path.join(certs, 'ca.pem'));
const cert = fs.readFileSync(path.join(certs, 'client.pem'));
const key = fs.readFileSync(path.join(certs, 'client-key.pem'));

async function amqpRoundtrip(conn, queue) {
  const ch = await conn.createConfirmChannel();
  await ch.assertQueue(queue, {durable: false});
  await new Promise((resolve, reject) =>
    ch.sendToQueue(queue, Buffer.from(`over ${queue}`), {}, (err) => err ? reject(err) : resolve()));
  const msg = await ch.get(queue, {noAck: true});
  assert.ok(msg, 'a message back');
  assert.equal(msg.content.toString(), `over ${queue}`);
  await ch.close();
}

async function amqplibOverTls() {
  const plain = await amqp.connect(`amqps://guest:guest@localhost:${amqpsPort}`, {ca: [ca]});
  await amqpRoundtrip(plain, 'tls.amqplib');
  await plain.close();

  // EXTERNAL: the user is the client certificate's subject.
  const external = await amqp.connect(
      {protocol: 'amqps', hostname: 'localhost', port: Number(amqpsPort)},
      {ca: [ca], cert, key, credentials: amqp.credentials.external()});
  await amqpRoundtrip(external, 'tls.amqplib.external');
  await external.close();

  // An unverified server is refused by the client.
  await assert.rejects(amqp.connect(`amqps://guest:guest@localhost:${amqpsPort}`),
                       /self.signed|unable to (get|verify)/i);
  console.log('amqplib amqps ok');
}

function mqttConnect(options) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(`wss://localhost:${wssPort}/mqtt`,
                                {reconnectPeriod: 0, connectTimeout: 10000, ca, ...options});
    client.once('connect', () => resolve(client));
    client.once('error', (err) => { client.end(true); reject(err); });
  });
}

async function mqttjsOverWss() {
  for (const [protocolVersion, extra] of [[4, {}], [5, {cert, key}]]) {
    const client = await mqttConnect({protocolVersion, ...extra});
    const topic = `tls/mqttjs/${protocolVersion}`;
    const received = new Promise((resolve) => client.on('message', (t, payload) =>
      resolve([t, payload.toString()])));
    await client.subscribeAsync(topic, {qos: 1});
    await client.publishAsync(topic, 'over wss', {qos: 1});
    assert.deepEqual(await received, [topic, 'over wss']);
    await client.endAsync();
  }
  await assert.rejects(mqttConnect({ca: undefined}), /self.signed|unable to (get|verify)/i);
  console.log('mqttjs wss ok');
}

(async () => {
  await amqplibOverTls();
  await mqttjsOverWss();
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
