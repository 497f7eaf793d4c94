// KafkaJS 2.2.4 with SASL PLAIN against a mockforge whose sessions expire
// (kafka.sasl_session_lifetime): KafkaJS re-authenticates on its connection (KIP-368) and keeps
// producing. Usage: node kafkajs_sasl_reauth_test.js <bootstrap> <user> <password> <wait ms>
const { Kafka, logLevel } = require('kafkajs');

async function main() {
  const [bootstrap, username, password, waitMs] = process.argv.slice(2);
  const kafka = new Kafka({ clientId: 'kafkajs-reauth', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                            retry: { retries: 0 }, sasl: { mechanism: 'plain', username, password } });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'js-reauth', messages: [{ value: 'before' }] });
  await new Promise((resolve) => setTimeout(resolve, Number(waitMs)));
  await producer.send({ topic: 'js-reauth', messages: [{ value: 'after' }] });
  await producer.disconnect();
  console.log('kafkajs reauth ok');
}

main().catch((error) => { console.error(error); process.exit(1); });
