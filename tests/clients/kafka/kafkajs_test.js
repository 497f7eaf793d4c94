// KafkaJS 2.2.4 against mockforge: admin createTopics/fetchTopicMetadata/describeGroups,
// producer, consumer group. Usage: node kafkajs_test.js <bootstrap>
const assert = require('assert');
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-test', brokers: [process.argv[2]],
                            logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  assert.strictEqual(await admin.createTopics({ topics: [{ topic: 'js-topic', numPartitions: 2 }] }), true);
  const metadata = await admin.fetchTopicMetadata({ topics: ['js-topic'] });
  assert.strictEqual(metadata.topics[0].partitions.length, 2);

  const producer = kafka.producer();
  await producer.connect();
  const sent = await producer.send({
    topic: 'js-topic',
    messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })),
  });
  assert.strictEqual(sent.length, 2);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'js-group' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'js-topic', fromBeginning: true });
  const received = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received.length} messages`)), 30000);
    consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value.toString());
        if (received.length === 10) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  assert.deepStrictEqual(received.sort(), Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
  const described = await admin.describeGroups(['js-group']);
  assert.strictEqual(described.groups[0].state, 'Stable');
  assert.strictEqual(described.groups[0].members.length, 1);
  await consumer.disconnect();
  // The group is empty now: DeleteGroups removes it (an unknown group is GROUP_ID_NOT_FOUND).
  const deleted = await admin.deleteGroups(['js-group']);
  assert.strictEqual(deleted[0].errorCode, 0);
  const listed = await admin.listGroups();
  assert.ok(!listed.groups.some((g) => g.groupId === 'js-group'));
  await admin.disconnect();
  console.log('kafkajs ok');
}

main().catch((error) => { console.error(error); process.exit(1); });
