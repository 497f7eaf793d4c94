// KafkaJS 2.2.4 with SASL OAUTHBEARER against mockforge: an oauthBearerProvider returning an
// unsecured JWS (alg none) produces and consumes; a provider returning a refused token (expired,
// or with the wrong audience when mockforge requires one) fails to connect.
// Usage: node kafkajs_oauthbearer_test.js <bootstrap> <sub> <mode>
//   mode "accept": produce and consume with a valid token (aud kafka-test, iss https://issuer.test)
//   mode "expired" / "wrong-audience": the connection must fail
const assert = require('assert');
const { Kafka, logLevel } = require('kafkajs');

function b64url(text) {
  return Buffer.from(text).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

function unsecuredJws(claims) {
  return `${b64url(JSON.stringify({ alg: 'none' }))}.${b64url(JSON.stringify(claims))}.`;
}

function kafkaWith(bootstrap, claims) {
  return new Kafka({
    clientId: 'kafkajs-oauthbearer', brokers: [bootstrap], logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecuredJws(claims) }) },
  });
}

async function main() {
  const [bootstrap, sub, mode] = process.argv.slice(2);
  const now = Math.floor(Date.now() / 1000);
  const good = { sub, iat: now, exp: now + 3600, aud: ['kafka-test'], iss: 'https://issuer.test', scope: 'produce consume' };
  if (mode === 'accept') {
    const kafka = kafkaWith(bootstrap, { ...good, scope: ['produce', 'consume'] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'js-oauth', messages: [{ value: 'a' }, { value: 'b' }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'js-oauth-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'js-oauth', fromBeginning: true });
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
    console.log('kafkajs oauthbearer ok');
    return;
  }
  const claims = mode === 'expired' ? { ...good, iat: now - 7200, exp: now - 3600 } : { ...good, aud: 'someone-else' };
  const producer = kafkaWith(bootstrap, claims).producer();
  let error = null;
  try {
    await producer.connect();
    // KafkaJS takes the server's error challenge for success; the next request is refused.
    await producer.send({ topic: 'js-oauth-refused', messages: [{ value: 'x' }] });
  } catch (e) {
    error = e;
  }
  assert.ok(error, 'a refused token must not produce');
  console.log(`kafkajs oauthbearer refused: ${error.name}: ${error.message}`);
}

main().catch((error) => { console.error(error); process.exit(1); });
