// KafkaJS 2.2.4 transactions against mockforge: a transactional producer commits and aborts,
// a read_committed consumer (KafkaJS's default) sees only committed records and a
// readUncommitted one sees all, sendOffsets commits a group's offsets with the transaction,
// and a second producer with the same transactional id fences the first.
// Usage: node kafkajs_transactions_test.js <bootstrap>
const assert = require('assert');
const { Kafka, logLevel } = require('kafkajs');

async function waitFor(condition, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Every value on the topic, read from the beginning by a fresh group, once `count` arrived.
async function readAll(kafka, topic, readUncommitted, count) {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}`,
                                    readUncommitted });
  const values = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value.toString()); } });
  await waitFor(() => values.length >= count, `${count} values on ${topic}`);
  // Anything extra (aborted records leaking through) would arrive with the rest.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await consumer.disconnect();
  return values;
}

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-txn', brokers: [process.argv[2]],
                            logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'js-txn' }, { topic: 'js-txn-in' }] });

  const producer = kafka.producer({ transactionalId: 'js-txn-id', maxInFlightRequests: 1,
                                    idempotent: true });
  await producer.connect();
  let txn = await producer.transaction();
  await txn.send({ topic: 'js-txn', messages: [{ value: 'c1' }, { value: 'c2' }] });
  await txn.commit();
  txn = await producer.transaction();
  await txn.send({ topic: 'js-txn', messages: [{ value: 'a1' }] });
  await txn.abort();
  txn = await producer.transaction();
  await txn.send({ topic: 'js-txn', messages: [{ value: 'c3' }] });
  // Offsets of a group, committed with the transaction.
  await txn.sendOffsets({ consumerGroupId: 'js-txn-group',
                          topics: [{ topic: 'js-txn-in', partitions: [{ partition: 0, offset: '7' }] }] });
  const [before] = await admin.fetchOffsets({ groupId: 'js-txn-group', topics: ['js-txn-in'] });
  assert.strictEqual(before.partitions[0].offset, '-1');
  await txn.commit();
  const [after] = await admin.fetchOffsets({ groupId: 'js-txn-group', topics: ['js-txn-in'] });
  assert.strictEqual(after.partitions[0].offset, '7');

  assert.deepStrictEqual(await readAll(kafka, 'js-txn', false, 3), ['c1', 'c2', 'c3']);
  assert.deepStrictEqual(await readAll(kafka, 'js-txn', true, 4), ['c1', 'c2', 'a1', 'c3']);

  // A second producer with the same transactional id fences the first.
  const fresh = kafka.producer({ transactionalId: 'js-txn-id', maxInFlightRequests: 1,
                                 idempotent: true });
  await fresh.connect();
  const ok = await fresh.transaction();  // KafkaJS sends InitProducerId here: the epoch goes up
  const zombie = await producer.transaction();
  await assert.rejects(
    zombie.send({ topic: 'js-txn', messages: [{ value: 'zombie' }] }),
    (error) => /epoch|fenced/i.test(`${error.type} ${error.message}`));
  await ok.send({ topic: 'js-txn', messages: [{ value: 'fresh' }] });
  await ok.commit();
  await fresh.disconnect();
  await producer.disconnect().catch(() => {});
  await admin.disconnect();
  console.log('kafkajs transactions ok');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
