// MQTT.js 5.16 against `mockforge serve`, over TCP and over WebSocket
// (ws://127.0.0.1:<port>/mqtt), with MQTT 3.1.1 and 5.
'use strict';

const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');

function startMockforge() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mockforge-mqttjs-'));
  const readyFile = path.join(dir, 'ready.json');
  const proc = spawn(process.env.MOCKFORGE_BIN || 'mockforge',
                     ['serve', '--admin-port', '0', '--kafka-port', '0', '--mqtt-port', '0',
                      '--mqtt-ws-port', '0', '--amqp-port', '0', '--ready-file', readyFile],
                     {stdio: ['ignore', 'inherit', 'inherit']});
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 15000;
    const poll = () => {
      if (fs.existsSync(readyFile)) {
        try {
          const info = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
          return resolve({proc, ports: info.ports, dir});
        } catch (e) { /* partially written: retry */ }
      }
      if (proc.exitCode !== null) return reject(new Error('mockforge exited'));
      if (Date.now() > deadline) return reject(new Error('mockforge not ready'));
      setTimeout(poll, 5);
    };
    poll();
  });
}

function connect(url, options) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {reconnectPeriod: 0, connectTimeout: 10000, ...options});
    client.once('connect', (connack) => resolve({client, connack}));
    client.once('error', reject);
  });
}

function nextMessage(client) {
  return new Promise((resolve) => {
    client.once('message', (topic, payload, packet) => resolve({topic, payload, packet}));
  });
}

async function roundTrip(url, protocolVersion, label) {
  const {client: sub, connack} = await connect(url, {protocolVersion, clientId: `sub-${label}`});
  assert.equal(connack.returnCode ?? connack.reasonCode ?? 0, 0);
  const granted = await sub.subscribeAsync(`js/${label}/+`, {qos: 2});
  assert.equal(granted[0].qos, 2);
  const {client: pub} = await connect(url, {protocolVersion, clientId: `pub-${label}`});
  for (const qos of [0, 1, 2]) {
    const received = nextMessage(sub);
    await pub.publishAsync(`js/${label}/q${qos}`, `payload-${qos}`, {qos});
    const {topic, payload, packet} = await received;
    assert.equal(topic, `js/${label}/q${qos}`);
    assert.equal(payload.toString(), `payload-${qos}`);
    assert.equal(packet.qos, qos);
  }
  // Retained message delivered to a late subscriber with the retain flag.
  await pub.publishAsync(`js/${label}/kept`, 'retained', {qos: 1, retain: true});
  const {client: late} = await connect(url, {protocolVersion, clientId: `late-${label}`});
  const retained = nextMessage(late);
  await late.subscribeAsync(`js/${label}/kept`, {qos: 1});
  const got = await retained;
  assert.equal(got.payload.toString(), 'retained');
  assert.equal(got.packet.retain, true);
  if (protocolVersion === 5) {
    // v5 properties pass through.
    const withProps = nextMessage(sub);
    await pub.publishAsync(`js/${label}/props`, 'p', {
      qos: 1,
      properties: {contentType: 'application/json', userProperties: {trace: 'abc'},
                   correlationData: Buffer.from('corr')},
    });
    const {packet} = await withProps;
    assert.equal(packet.properties.contentType, 'application/json');
    assert.deepEqual({...packet.properties.userProperties}, {trace: 'abc'});
    assert.equal(packet.properties.correlationData.toString(), 'corr');
  }
  await Promise.all([sub.endAsync(), pub.endAsync(), late.endAsync()]);
  console.log(`ok ${label}`);
}

async function main() {
  const mf = await startMockforge();
  const timer = setTimeout(() => {
    console.error('timed out');
    mf.proc.kill('SIGKILL');
    process.exit(1);
  }, 120000);
  try {
    const tcp = `mqtt://127.0.0.1:${mf.ports.mqtt}`;
    const ws = `ws://127.0.0.1:${mf.ports.mqtt_ws}/mqtt`;
    await roundTrip(tcp, 4, 'tcp311');
    await roundTrip(tcp, 5, 'tcp5');
    await roundTrip(ws, 4, 'ws311');
    await roundTrip(ws, 5, 'ws5');
  } finally {
    clearTimeout(timer);
    mf.proc.kill('SIGTERM');
    fs.rmSync(mf.dir, {recursive: true, force: true});
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
