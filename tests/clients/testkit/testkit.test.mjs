// The node:test helper (testkit/node/mockforge.mjs) as a user runs it, with
// MQTT.js and amqplib publishing.
import { before, after, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import amqp from 'amqplib';
import { startMockforge } from '../../../testkit/node/mockforge.mjs';

let mf;
before(async () => { mf = await startMockforge(); });
after(() => mf.stop());
beforeEach(() => mf.reset());

async function publishMqtt(topic, payload) {
  const client = await mqtt.connectAsync(mf.mqttUrl, { clientId: 'node-svc', protocolVersion: 5 });
  await client.publishAsync(topic, payload, { qos: 1 });
  await client.endAsync();
}

test('expect resolves when MQTT.js publishes a match', async () => {
  await publishMqtt('warehouse/sensors/s1', JSON.stringify({ celsius: 90 }));
  const verdict = await mf.expect({ protocol: 'mqtt', topic: 'warehouse/sensors/+',
    match: { json: [{ path: '$.celsius', gte: 90 }], client_id: 'node-svc' } });
  assert.equal(verdict.matched, 1);
});

test('reset between tests empties the history', async () => {
  assert.deepEqual(await mf.history({ protocol: 'mqtt' }), []);
});

test('a failed expectation rejects with the closest misses', async () => {
  const connection = await amqp.connect(mf.amqpUrl);
  const channel = await connection.createConfirmChannel();
  await channel.assertExchange('notifications', 'topic');
  channel.publish('notifications', 'sms.order', Buffer.from('hello'));
  await channel.waitForConfirms();
  await connection.close();
  await assert.rejects(
    mf.expect({ protocol: 'amqp', exchange: 'notifications', routing_key: 'email.#', timeout_ms: 100 }),
    (error) => {
      assert.ok(error instanceof assert.AssertionError);
      assert.match(error.message, /not met/);
      assert.match(error.message, /routing key 'sms.order' does not match 'email.#'/);
      assert.equal(error.verdict.met, false);
      return true;
    });
});

test('in-order expectations', async () => {
  await publishMqtt('a', 'first');
  await publishMqtt('b', 'second');
  const verdict = await mf.expect({ in_order: [{ protocol: 'mqtt', topic: 'a' }, { protocol: 'mqtt', topic: 'b' }] });
  assert.equal(verdict.steps.length, 2);
});
