// KafkaJS 2.2.4 ACL admin against mockforge with kafka.authorizer acl: the super user creates,
// describes and deletes ACLs (literal and prefixed); a user without ALTER on the cluster is
// refused with CLUSTER_AUTHORIZATION_FAILED.
// Usage: node kafkajs_acls_test.js <bootstrap> <super user> <password> <user> <password>
const assert = require('assert');
const {
  Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes,
} = require('kafkajs');

function errorType(error) {
  for (let e = error; e; e = e.cause || e.originalError) {
    if (e.type) return e.type;
  }
  return undefined;
}

function adminFor(bootstrap, username, password) {
  return new Kafka({ clientId: 'kafkajs-acls', brokers: [bootstrap], logLevel: logLevel.NOTHING,
                     retry: { retries: 0 }, sasl: { mechanism: 'plain', username, password } }).admin();
}

async function main() {
  const [bootstrap, superUser, superPassword, user, password] = process.argv.slice(2);
  const admin = adminFor(bootstrap, superUser, superPassword);
  await admin.connect();
  const literal = { resourceType: AclResourceTypes.TOPIC, resourceName: 'js-acl-topic',
                    resourcePatternType: ResourcePatternTypes.LITERAL, principal: `User:${user}`,
                    host: '*', operation: AclOperationTypes.WRITE, permissionType: AclPermissionTypes.ALLOW };
  const prefixed = { resourceType: AclResourceTypes.GROUP, resourceName: 'js-acl-',
                     resourcePatternType: ResourcePatternTypes.PREFIXED, principal: `User:${user}`,
                     host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW };
  await admin.createAcls({ acl: [literal, prefixed] });

  const described = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
    principal: `User:${user}`, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
  const seen = described.resources.map((r) => `${r.resourceType}/${r.resourceName}/${r.resourcePatternType}/` +
    r.acls.map((a) => `${a.principal}@${a.host}:${a.operation}:${a.permissionType}`).join(','));
  assert.deepStrictEqual(seen.sort(), [
    `${AclResourceTypes.GROUP}/js-acl-/${ResourcePatternTypes.PREFIXED}/User:${user}@*:${AclOperationTypes.READ}:${AclPermissionTypes.ALLOW}`,
    `${AclResourceTypes.TOPIC}/js-acl-topic/${ResourcePatternTypes.LITERAL}/User:${user}@*:${AclOperationTypes.WRITE}:${AclPermissionTypes.ALLOW}`,
  ].sort());

  // MATCH: the bindings that apply to group js-acl-consumers (the prefixed one).
  const matching = await admin.describeAcls({
    resourceType: AclResourceTypes.GROUP, resourceName: 'js-acl-consumers',
    resourcePatternType: ResourcePatternTypes.MATCH, operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY });
  assert.strictEqual(matching.resources.length, 1);
  assert.strictEqual(matching.resources[0].resourceName, 'js-acl-');

  // A user without ALTER on the cluster cannot create ACLs.
  const refused = adminFor(bootstrap, user, password);
  await refused.connect();
  await assert.rejects(refused.createAcls({ acl: [{ ...literal, principal: 'User:mallory' }] }), (error) => {
    assert.strictEqual(errorType(error), 'CLUSTER_AUTHORIZATION_FAILED', `${error.name}: ${error.message}`);
    return true;
  });
  await refused.disconnect();

  const deleted = await admin.deleteAcls({ filters: [{
    resourceType: AclResourceTypes.TOPIC, resourceName: 'js-acl-topic',
    resourcePatternType: ResourcePatternTypes.LITERAL, operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY }] });
  assert.strictEqual(deleted.filterResponses[0].errorCode, 0);
  assert.strictEqual(deleted.filterResponses[0].matchingAcls.length, 1);
  assert.strictEqual(deleted.filterResponses[0].matchingAcls[0].resourceName, 'js-acl-topic');
  const after = await admin.describeAcls({
    resourceType: AclResourceTypes.TOPIC, resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
  assert.deepStrictEqual(after.resources.filter((r) => r.resourceName === 'js-acl-topic'), []);
  await admin.deleteAcls({ filters: [{ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
    principal: `User:${user}`, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }] });
  await admin.disconnect();
  console.log('kafkajs acls ok');
}

main().catch((error) => { console.error(error); process.exit(1); });
