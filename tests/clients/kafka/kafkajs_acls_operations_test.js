// KafkaJS 2.2.4 admin operations under kafka.authorizer acl: a user without the ACLs is refused
// DescribeConfigs and AlterConfigs (DESCRIBE_CONFIGS / ALTER_CONFIGS on the topic:
// TOPIC_AUTHORIZATION_FAILED), CreatePartitions (ALTER on the topic) and DeleteRecords (DELETE
// on the topic); after the super user's CreateAcls the same calls succeed.
// Usage: node kafkajs_acls_operations_test.js <bootstrap> <super user> <password> <user> <password>
const assert = require('assert');
const {
  Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes,
  ConfigResourceTypes,
} = require('kafkajs');

function errorTypes(error) {
  const types = [];
  const walk = (e) => {
    if (!e) return;
    if (e.type) types.push(e.type);
    if (e.errors) e.errors.forEach(walk);
    if (e.partitions) e.partitions.forEach((p) => walk(p.error));
    walk(e.cause || e.originalError);
  };
  walk(error);
  return types;
}

async function refused(promise, type) {
  try {
    await promise;
  } catch (error) {
    assert.ok(errorTypes(error).includes(type), `${type} expected, got ${error}: ${errorTypes(error)}`);
    return;
  }
  assert.fail(`${type} expected, the call succeeded`);
}

function clientFor(bootstrap, username, password) {
  return new Kafka({ clientId: 'kafkajs-acl-ops', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                     retry: { retries: 0 }, sasl: { mechanism: 'plain', username, password } });
}

async function main() {
  const [bootstrap, superUser, superPassword, user, password] = process.argv.slice(2);
  const admin = clientFor(bootstrap, superUser, superPassword).admin();
  await admin.connect();
  const topic = 'js-acl-ops';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const producer = clientFor(bootstrap, superUser, superPassword).producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
  await producer.disconnect();
  const grant = (operation) => admin.createAcls({ acl: [{
    resourceType: AclResourceTypes.TOPIC, resourceName: topic,
    resourcePatternType: ResourcePatternTypes.LITERAL, principal: `User:${user}`, host: '*',
    operation, permissionType: AclPermissionTypes.ALLOW }] });
  // DESCRIBE: Metadata shows the topic, so the refusals below come from the operations.
  await grant(AclOperationTypes.DESCRIBE);

  const userAdmin = clientFor(bootstrap, user, password).admin();
  await userAdmin.connect();
  const resources = [{ type: ConfigResourceTypes.TOPIC, name: topic }];
  await refused(userAdmin.describeConfigs({ resources, includeSynonyms: false }),
                'TOPIC_AUTHORIZATION_FAILED');
  await refused(userAdmin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
                                                        configEntries: [{ name: 'retention.ms', value: '60000' }] }] }),
                'TOPIC_AUTHORIZATION_FAILED');
  await refused(userAdmin.createPartitions({ topicPartitions: [{ topic, count: 2 }] }),
                'TOPIC_AUTHORIZATION_FAILED');
  await refused(userAdmin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] }),
                'TOPIC_AUTHORIZATION_FAILED');

  await grant(AclOperationTypes.ALTER_CONFIGS);  // implies DESCRIBE_CONFIGS
  await grant(AclOperationTypes.ALTER);
  await grant(AclOperationTypes.DELETE);
  const described = await userAdmin.describeConfigs({ resources, includeSynonyms: false });
  assert.strictEqual(described.resources[0].errorCode, 0);
  await userAdmin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic,
                                               configEntries: [{ name: 'retention.ms', value: '60000' }] }] });
  const after = await admin.describeConfigs({ resources: [{ ...resources[0], configNames: ['retention.ms'] }],
                                              includeSynonyms: false });
  assert.strictEqual(after.resources[0].configEntries[0].configValue, '60000');
  await userAdmin.createPartitions({ topicPartitions: [{ topic, count: 2 }] });
  await userAdmin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '1' }] });
  const offsets = await admin.fetchTopicOffsets(topic);
  assert.strictEqual(offsets.length, 2);
  const p0 = offsets.find((o) => o.partition === 0);
  assert.strictEqual(p0.low, '1');

  await userAdmin.disconnect();
  await admin.disconnect();
  console.log('kafkajs acl operations ok');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
