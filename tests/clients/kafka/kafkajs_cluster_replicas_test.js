// KafkaJS 2.2.4 against a five-broker mockforge cluster (kafka.brokers: 5): the admin client
// reads three replicas per partition with their ISR, and a stopped broker as an offline replica
// out of the ISR; an acks=-1 send is refused with NOT_ENOUGH_REPLICAS once the ISR is below
// min.insync.replicas; a consumer group keeps receiving every message while its coordinator is
// made unavailable, then loading, for a while through the admin API.
// Usage: node kafkajs_cluster_replicas_test.js <bootstrap,...> <admin base URL>
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

async function main() {
  const kafka = new Kafka({ clientId: 'kafkajs-replicas', brokers: bootstrap.split(','),
                            logLevel: logLevel.NOTHING,
                            retry: { initialRetryTime: 100, retries: 30 } });
  const admin = kafka.admin();
  await admin.connect();

  // Replicas and ISR.
  await admin.createTopics({ topics: [{ topic: 'js-rep', numPartitions: 5 },
    { topic: 'js-isr', numPartitions: 1,
      configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
  let metadata = await admin.fetchTopicMetadata({ topics: ['js-rep'] });
  for (const p of metadata.topics[0].partitions) {
    assert.strictEqual(p.replicas.length, 3, JSON.stringify(p));
    assert.strictEqual(p.replicas[0], p.leader);
    assert.deepStrictEqual(p.isr, p.replicas);
    assert.deepStrictEqual(p.offlineReplicas, []);
  }
  await api('POST', '/__mockforge/api/kafka/cluster/brokers/3/stop');
  metadata = await admin.fetchTopicMetadata({ topics: ['js-rep'] });
  for (const p of metadata.topics[0].partitions) {
    assert.notStrictEqual(p.leader, 3);
    assert.ok(!p.isr.includes(3), JSON.stringify(p));
    assert.deepStrictEqual(p.offlineReplicas, p.replicas.includes(3) ? [3] : []);
  }
  await api('POST', '/__mockforge/api/kafka/cluster/brokers/3/start');

  // NOT_ENOUGH_REPLICAS for acks=-1 below min.insync.replicas.
  const isrTopic = (await admin.fetchTopicMetadata({ topics: ['js-isr'] })).topics[0];
  const leader = isrTopic.partitions[0].leader;
  const strict = kafka.producer({ retry: { retries: 0 } });
  await strict.connect();
  await strict.send({ topic: 'js-isr', acks: -1, messages: [{ partition: 0, value: 'a' }] });
  await api('POST', '/__mockforge/api/kafka/cluster/isr', { topic: 'js-isr', partition: 0,
                                                            isr: [leader] });
  await assert.rejects(
    strict.send({ topic: 'js-isr', acks: -1, messages: [{ partition: 0, value: 'b' }] }),
    (error) => {
      // KafkaJS wraps the protocol error once per retrier it gave up in.
      for (let e = error; e; e = e.originalError || e.cause) {
        if (e.type === 'NOT_ENOUGH_REPLICAS') return true;
      }
      throw error;
    });
  await strict.send({ topic: 'js-isr', acks: 1, messages: [{ partition: 0, value: 'c' }] });
  await strict.disconnect();

  // A consumer group through coordinator outages.
  const topic = 'js-outage';
  const count = 300;
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
  const producer = kafka.producer();
  await producer.connect();
  const consumer = kafka.consumer({ groupId: 'js-patient', sessionTimeout: 10000,
                                    heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set();
  await consumer.run({ eachMessage: async ({ message }) => { seen.add(Number(message.value)); } });
  const waitFor = async (wanted, what) => {
    const deadline = Date.now() + 40000;
    while (seen.size < wanted && Date.now() < deadline) await sleep(100);
    assert.ok(seen.size >= wanted, `${what}: ${seen.size} of ${wanted}`);
  };
  let sent = 0;
  const produce = async (n) => {
    for (let i = 0; i < n; i += 1, sent += 1) {
      await producer.send({ topic, messages: [{ partition: sent % 3, value: String(sent) }] });
    }
  };
  await produce(count);
  await waitFor(count, 'before the outage');
  await api('POST', '/__mockforge/api/kafka/cluster/coordinators/outage',
            { type: 'group', duration_ms: 3000 });
  await produce(count);
  await waitFor(2 * count, 'while the coordinator is unavailable');
  await sleep(3000);
  await api('POST', '/__mockforge/api/kafka/cluster/coordinators/outage',
            { type: 'group', key: 'js-patient', duration_ms: 2000, mode: 'loading' });
  await produce(count);
  await waitFor(3 * count, 'while the coordinator is loading');
  await sleep(2200);
  await produce(count);
  await waitFor(4 * count, 'after the outages');
  for (let i = 0; i < 4 * count; i += 1) assert.ok(seen.has(i), `missing ${i}`);
  const group = await admin.describeGroups(['js-patient']);
  assert.strictEqual(group.groups[0].state, 'Stable');
  await consumer.disconnect();
  await producer.disconnect();
  await admin.disconnect();
  console.log('kafkajs replicas ok');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
