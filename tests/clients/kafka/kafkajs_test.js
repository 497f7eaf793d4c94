// KafkaJS 2.2.4 against mockforge: admin createTopics/fetchTopicMetadata/describeGroups,
// producer, a consumer group of two members. Usage: node kafkajs_test.js <bootstrap>
const assert = require('assert');
const { Kafka, logLevel } = require('kafkajs');

async function waitFor(condition, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [process.argv[2]],
                            logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  assert.strictEqual(await admin.createTopics({ topics: [{ topic: 'js-topic', numPartitions: 2 }] }), true);
  const metadata = await admin.fetchTopicMetadata({ topics: ['js-topic'] });
  assert.strictEqual(metadata.topics[0].partitions.length, 2);

  // Two members of one group: wait until the group split the two partitions between them.
  const members = [kafka.consumer({ groupId: 'js-group' }), kafka.consumer({ groupId: 'js-group' })];
  const assignments = [null, null];
  const received = [[], []];
  for (const [i, consumer] of members.entries()) {
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      assignments[i] = event.payload.memberAssignment['js-topic'] || [];
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'js-topic', fromBeginning: true });
  }
  for (const [i, consumer] of members.entries()) {
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received[i].push([partition, message.value.toString()]);
      },
    });
  }
  await waitFor(() => assignments.every((a) => a && a.length === 1), 'one partition per member');
  assert.deepStrictEqual([...assignments[0], ...assignments[1]].sort(), [0, 1]);

  const producer = kafka.producer();
  await producer.connect();
  const sent = await producer.send({
    topic: 'js-topic',
    messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })),
  });
  assert.strictEqual(sent.length, 2);
  await producer.disconnect();

  await waitFor(() => received[0].length + received[1].length >= 10, 'all 10 messages');
  for (const i of [0, 1]) {
    // Each member saw exactly the five messages of its own partition.
    const own = assignments[i][0];
    assert.deepStrictEqual(received[i].map(([p]) => p), Array(5).fill(own));
    assert.deepStrictEqual(received[i].map(([, v]) => v),
                           [0, 2, 4, 6, 8].map((n) => `v${n + own}`));
  }
  const described = await admin.describeGroups(['js-group']);
  assert.strictEqual(described.groups[0].state, 'Stable');
  assert.strictEqual(described.groups[0].members.length, 2);
  for (const member of members) await member.disconnect();
  // The group is empty now: DeleteGroups removes it (an unknown group is GROUP_ID_NOT_FOUND).
  const deleted = await admin.deleteGroups(['js-group']);
  assert.strictEqual(deleted[0].errorCode, 0);
  const listed = await admin.listGroups();
  assert.ok(!listed.groups.some((g) => g.groupId === 'js-group'));
  await admin.disconnect();
  console.log('kafkajs ok');
}

main().catch((error) => { console.error(error); process.exit(1); });
