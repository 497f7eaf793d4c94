// MQTT.js 5.16 against `mockforge serve`, over TCP and over WebSocket
// (ws://127.0.0.1:<port>/mqtt), with MQTT 3.1.1 and 5.
'use strict';

const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');

function startMockforge(extraArgs = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mockforge-mqttjs-'));
  const readyFile = path.join(dir, 'ready.json');
  const proc = spawn(process.env.MOCKFORGE_BIN || 'mockforge',
                     ['serve', '--admin-port', '0', '--kafka-port', '0', '--mqtt-port', '0',
                      '--mqtt-ws-port', '0', '--amqp-port', '0', '--ready-file', readyFile,
                      ...extraArgs],
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

// Server-to-client topic aliases (v5): up to the Topic Alias Maximum the
// client advertised; MQTT.js resolves them back to topic names.
async function outboundTopicAliases(url) {
  const {client: sub} = await connect(url, {
    protocolVersion: 5, clientId: 'alias-sub', properties: {topicAliasMaximum: 2}});
  await sub.subscribeAsync('alias/#', {qos: 1});
  const {client: pub} = await connect(url, {protocolVersion: 5, clientId: 'alias-pub'});
  const topics = ['alias/a/long/name', 'alias/a/long/name', 'alias/b', 'alias/c', 'alias/b'];
  const received = [];
  const all = new Promise((resolve) => {
    sub.on('message', (topic, payload, packet) => {
      received.push({topic, payload: payload.toString(), alias: packet.properties?.topicAlias});
      if (received.length === topics.length) resolve();
    });
  });
  for (const topic of topics) await pub.publishAsync(topic, topic, {qos: 1});
  await all;
  assert.deepEqual(received.map((m) => m.topic), topics);
  assert.deepEqual(received.map((m) => m.payload), topics);
  assert.deepEqual(received.map((m) => m.alias), [1, 1, 2, undefined, 2]);
  await Promise.all([sub.endAsync(), pub.endAsync()]);
  console.log('ok outbound topic aliases');
}

// Authentication and the ACL (v5 reason codes), against a second mockforge.
async function authAndAcl() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mockforge-mqttjs-auth-'));
  const config = path.join(dir, 'mockforge.yaml');
  fs.writeFileSync(config, [
    'mqtt:',
    '  auth_enabled: true',
    '  users: ["alice:secret"]',
    '  acl: ["user alice", "topic readwrite sensors/#", "topic read alerts"]',
    '',
  ].join('\n'));
  const mf = await startMockforge(['--config', config]);
  try {
    const url = `mqtt://127.0.0.1:${mf.ports.mqtt}`;
    await assert.rejects(connect(url, {protocolVersion: 5, username: 'alice', password: 'nope'}),
                         (error) => error.code === 0x86);
    await assert.rejects(connect(url, {protocolVersion: 5}), (error) => error.code === 0x87);
    await assert.rejects(connect(url, {protocolVersion: 4, username: 'alice', password: 'x'}),
                         (error) => error.code === 5);
    const {client} = await connect(url, {protocolVersion: 5, clientId: 'js-alice',
                                         username: 'alice', password: 'secret'});
    const granted = await client.subscribeAsync('sensors/#', {qos: 1});
    assert.equal(granted[0].qos, 1);
    await assert.rejects(client.subscribeAsync('secrets/#', {qos: 1}),
                         (error) => error.packet.granted[0] === 0x87);
    await assert.rejects(client.publishAsync('alerts', 'x', {qos: 1}),
                         (error) => error.code === 0x87);
    await assert.rejects(client.publishAsync('alerts', 'x', {qos: 2}),
                         (error) => error.code === 0x87);
    const received = nextMessage(client);
    await client.publishAsync('sensors/t', 'allowed', {qos: 1});
    assert.equal((await received).payload.toString(), 'allowed');
    await client.endAsync();
    console.log('ok auth and ACL');
  } finally {
    mf.proc.kill('SIGTERM');
    fs.rmSync(mf.dir, {recursive: true, force: true});
    fs.rmSync(dir, {recursive: true, force: true});
  }
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
    await outboundTopicAliases(tcp);
    await authAndAcl();
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
