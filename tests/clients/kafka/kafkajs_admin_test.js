// KafkaJS 2.2.4 admin against mockforge: createTopics with configs, describeConfigs,
// alterConfigs (validateOnly too), createPartitions, deleteTopicRecords (fetchTopicOffsets sees
// the new low watermark), and a producer refused with MESSAGE_TOO_LARGE by a topic's
// max.message.bytes. Usage: node kafkajs_admin_test.js <bootstrap>
const assert = require('assert');
const { Kafka, logLevel, ConfigResourceTypes } = require('kafkajs');

function errorType(error) {
  for (let e = error; e; e = e.cause || e.originalError) {
    if (e.type) return e.type;
  }
  return undefined;
}

async function describe(admin, topic) {
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
  assert.strictEqual(described.resources[0].errorCode, 0);
  return Object.fromEntries(described.resources[0].configEntries.map((c) => [c.configName, c]));
}

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-admin', brokers: [process.argv[2]],
                            logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'js-admin', numPartitions: 1,
    configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });

  let configs = await describe(admin, 'js-admin');
  assert.strictEqual(configs['retention.ms'].configValue, '86400000');
  assert.strictEqual(configs['retention.ms'].isDefault, false);
  assert.strictEqual(configs['cleanup.policy'].configValue, 'delete');
  assert.strictEqual(configs['cleanup.policy'].isDefault, true);

  await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC,
    name: 'js-admin', configEntries: [{ name: 'max.message.bytes', value: '300' }] }] });
  configs = await describe(admin, 'js-admin');
  assert.strictEqual(configs['max.message.bytes'].configValue, '1048588');
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC,
    name: 'js-admin', configEntries: [{ name: 'max.message.bytes', value: '300' },
                                      { name: 'retention.ms', value: '86400000' }] }] });
  configs = await describe(admin, 'js-admin');
  assert.strictEqual(configs['max.message.bytes'].configValue, '300');
  await assert.rejects(admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC,
    name: 'js-admin', configEntries: [{ name: 'message.timestamp.type', value: 'Never' }] }] }),
  (error) => errorType(error) === 'INVALID_CONFIG');

  // The producer gets MESSAGE_TOO_LARGE for a batch above max.message.bytes; small ones pass.
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  await assert.rejects(
    producer.send({ topic: 'js-admin', messages: [{ value: 'x'.repeat(1000) }] }),
    (error) => errorType(error) === 'MESSAGE_TOO_LARGE');
  for (let i = 0; i < 5; i += 1) {
    await producer.send({ topic: 'js-admin', messages: [{ value: `v${i}` }] });
  }

  // deleteTopicRecords moves the low watermark.
  await admin.deleteTopicRecords({ topic: 'js-admin', partitions: [{ partition: 0, offset: '3' }] });
  const offsets = await admin.fetchTopicOffsets('js-admin');
  assert.strictEqual(offsets[0].low, '3');
  assert.strictEqual(offsets[0].high, '5');

  // createPartitions grows the topic; the new partition takes messages.
  await admin.createPartitions({ topicPartitions: [{ topic: 'js-admin', count: 3 }] });
  const metadata = await admin.fetchTopicMetadata({ topics: ['js-admin'] });
  assert.strictEqual(metadata.topics[0].partitions.length, 3);
  await producer.disconnect();
  const grown = kafka.producer({ retry: { retries: 0 } });
  await grown.connect();
  const sent = await grown.send({ topic: 'js-admin', messages: [{ value: 'p2', partition: 2 }] });
  await grown.disconnect();
  assert.strictEqual(sent[0].partition, 2);
  assert.strictEqual(sent[0].errorCode, 0);
  await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'js-admin', count: 2 }] }),
    (error) => errorType(error) === 'INVALID_PARTITIONS');
  await admin.disconnect();
  console.log('kafkajs admin ok');
}

main().catch((error) => { console.error(error); process.exit(1); });
