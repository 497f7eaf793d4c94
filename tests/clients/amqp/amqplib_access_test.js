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

  // connection.update-secret with the user's secret: update-secret-ok, and
  // the connection goes on.
  await conn.updateSecret(Buffer.from('s3cret'), 'rotation');
  const {messageCount} = await ch.checkQueue('js.access.q');
  assert.strictEqual(messageCount, 0);

  // A secret the broker refuses: connection.close 530, as RabbitMQ.
  const failed = new Promise((resolve) => conn.on('error', resolve));
  conn.updateSecret(Buffer.from('not-the-secret'), 'rotation');
  const err = await failed;
  assert.match(err.message, /530[\s\S]*New secret was refused by one of the backends/);
  console.log('amqplib access ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
