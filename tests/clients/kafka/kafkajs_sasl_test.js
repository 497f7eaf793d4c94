// KafkaJS 2.2.4 with SASL SCRAM-SHA-512 against mockforge: produce and consume, then a wrong
// password must fail with KafkaJS's SASL authentication error.
// Usage: node kafkajs_sasl_test.js <bootstrap> <user> <password>
const assert = require('assert');
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, username, password] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'kafkajs-sasl', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                            sasl: { mechanism: 'scram-sha-512', username, password } });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'js-sasl', messages: [{ value: 'a' }, { value: 'b' }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'js-sasl-group' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'js-sasl', fromBeginning: true });
  const received = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out consuming')), 30000);
    consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value.toString());
        if (received.length === 2) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  assert.deepStrictEqual(received, ['a', 'b']);

  const wrong = new Kafka({ clientId: 'kafkajs-sasl-wrong', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                            retry: { retries: 0 },
                            sasl: { mechanism: 'scram-sha-512', username, password: 'wrong' } });
  const refused = wrong.producer();
  await assert.rejects(refused.connect(), (error) => {
    assert.strictEqual(error.name, 'KafkaJSSASLAuthenticationError', `${error.name}: ${error.message}`);
    return true;
  });
  console.log('kafkajs sasl ok');
}

main().catch((error) => { console.error(error); process.exit(1); });
