// KafkaJS 2.2.4 against a three-broker mockforge cluster (kafka.brokers: 3): the admin client
// sees every broker; an idempotent producer sends a numbered stream while the test moves
// partition leaders and stops and starts a broker through the admin API; a consumer group then
// reads every number exactly once, in order per partition. Each send() goes to one partition:
// KafkaJS 2.2.4 loses the messages of a multi-broker send() when one broker answers
// NOT_LEADER_OR_FOLLOWER and another succeeds (its retry skips brokers that already answered,
// tulios/kafkajs#1798), which mockforge reproduces as a real cluster does.
// Usage: node kafkajs_cluster_test.js <bootstrap,...> <admin base URL>
const assert = require('assert');
const http = require('http');
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, adminUrl] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function api(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(`${adminUrl}${path}`, { method }, (response) => {
      let text = '';
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        if (response.statusCode !== 200) {
          reject(new Error(`${method} ${path}: ${response.statusCode} ${text}`));
        } else {
          resolve(JSON.parse(text));
        }
      });
    });
    request.on('error', reject);
    if (data !== undefined) request.write(data);
    request.end();
  });
}

async function leaders(topic) {
  const cluster = await api('GET', '/__mockforge/api/kafka/cluster');
  const out = {};
  for (const p of cluster.partitions) if (p.topic === topic) out[p.partition] = p.leader;
  return out;
}

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-cluster', brokers: bootstrap.split(','),
                            logLevel: logLevel.NOTHING,
                            retry: { initialRetryTime: 100, retries: 20 } });
  const topic = 'js-cluster';
  const partitions = 3;
  const count = 900;
  const admin = kafka.admin();
  await admin.connect();
  const described = await admin.describeCluster();
  assert.deepStrictEqual(described.brokers.map((b) => b.nodeId).sort(), [0, 1, 2]);
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const metadataLeaders = {};
  for (const p of metadata.topics[0].partitions) metadataLeaders[p.partitionId] = p.leader;
  assert.deepStrictEqual(metadataLeaders, await leaders(topic));
  assert.strictEqual(new Set(Object.values(metadataLeaders)).size, partitions);

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const chaos = (async () => {
    await sleep(200);
    const current = await leaders(topic);
    for (let p = 0; p < partitions; p++) {
      await api('POST', '/__mockforge/api/kafka/cluster/leader',
                { topic, partition: p, broker: (current[p] + 1) % 3 });
      await sleep(100);
    }
    await api('POST', '/__mockforge/api/kafka/cluster/brokers/2/stop');
    await sleep(800);
    await api('POST', '/__mockforge/api/kafka/cluster/brokers/2/start');
  })();
  for (let i = 0; i < count; i += 10) {
    const messages = [];
    const partition = (i / 10) % partitions;
    for (let j = i; j < i + 10; j++) messages.push({ partition, value: `${j}` });
    await producer.send({ topic, messages });
    await sleep(5);
  }
  await chaos;
  await producer.disconnect();
  const cluster = await api('GET', '/__mockforge/api/kafka/cluster');
  for (const p of cluster.partitions) {
    if (p.topic === topic) assert.ok(p.leader_epoch >= 1, JSON.stringify(p));
  }

  const consumer = kafka.consumer({ groupId: 'js-cluster-reader' });
  const seen = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => { seen.push([partition, Number(message.value)]); },
  });
  const deadline = Date.now() + 30000;
  while (seen.length < count && Date.now() < deadline) await sleep(50);
  await sleep(500);  // duplicates would arrive with the rest
  await consumer.disconnect();
  await admin.disconnect();
  assert.strictEqual(seen.length, count, `read ${seen.length} of ${count}`);
  const numbers = seen.map(([, value]) => value).sort((a, b) => a - b);
  numbers.forEach((value, index) => assert.strictEqual(value, index));
  for (let p = 0; p < partitions; p++) {
    const inPartition = seen.filter(([partition]) => partition === p).map(([, v]) => v);
    assert.deepStrictEqual(inPartition, [...inPartition].sort((a, b) => a - b));
    assert.ok(inPartition.every((v) => Math.floor(v / 10) % partitions === p));
  }
  console.log('kafkajs cluster ok');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
