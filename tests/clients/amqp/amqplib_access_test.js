// amqplib 0.10 against mockforge with users and vhosts from config (see
// test_amqplib.py): AMQPLAIN logins, vhost access, and connection.update-secret.
// Usage: node amqplib_access_test.js <amqp port>
'use strict';
const assert = require('assert');
const path = require('path');
const amqp = require(path.join(__dirname, '..', 'node_modules', 'amqplib'));

const port = Number(process.argv[2]);

function connect(user, password, vhost, mechanism) {
  const credentials = mechanism === 'AMQPLAIN' ? amqp.credentials.amqplain(user, password)
                                               : amqp.credentials.plain(user, password);
  return amqp.connect({protocol: 'amqp', hostname: '127.0.0.1', port, vhost}, {credentials});
}

async function main() {
  // AMQPLAIN, a configured user, its own vhost.
  const conn = await connect('admin', 's3cret', 'v2', 'AMQPLAIN');
  const ch = await conn.createChannel();
  await ch.assertQueue('js.access.q');

  await assert.rejects(connect('admin', 'wrong', 'v2', 'AMQPLAIN'),
                       /403[\s\S]*Login was refused using authentication mechanism AMQPLAIN/);
  // amqplib reports a close in answer to connection.open without its text.
  await assert.rejects(connect('admin', 's3cret', 'nope', 'PLAIN'),
                       /Expected ConnectionOpenOk; got <ConnectionClose/);

  // connection.update-secret: RabbitMQ's internal users never expire, so it
  // answers update-secret-ok to any secret, the user's or another, and the
  // connection goes on as the same user.
  await conn.updateSecret(Buffer.from('s3cret'), 'rotation');
  await conn.updateSecret(Buffer.from('not-the-secret'), 'rotation');
  const {messageCount} = await ch.checkQueue('js.access.q');
  assert.strictEqual(messageCount, 0);
  // Still admin: admin's own vhost's queue is there, and it can declare more.
  await ch.assertQueue('js.access.q2');
  await conn.close();
  console.log('amqplib access ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
