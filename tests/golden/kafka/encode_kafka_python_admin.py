#!/usr/bin/python3
"""Writes admin requests as kafka-python 2.0.2 encodes them (the librdkafka mock cluster does
not advertise these APIs, so they cannot be recorded over the wire). Run with /usr/bin/python3.

  encode_kafka_python_admin.py OUT_DIR
"""

import pathlib, sys
from kafka.protocol.api import RequestHeader
import kafka.protocol.admin as admin
out = pathlib.Path(sys.argv[1])
cases = {
  (19, "create_topics"): lambda v: admin.CreateTopicsRequest[v](create_topic_requests=[("t2", 3, 1, [], [("cleanup.policy", "compact")])], timeout=30000, **({"validate_only": False} if v >= 1 else {})),
  (20, "delete_topics"): lambda v: admin.DeleteTopicsRequest[v](topics=["t2", "t3"], timeout=30000),
  (32, "describe_configs"): lambda v: admin.DescribeConfigsRequest[v](resources=[(2, "golden", ["retention.ms"])], **({"include_synonyms": True} if v >= 1 else {})),
  (16, "list_groups"): lambda v: admin.ListGroupsRequest[v](),
  (15, "describe_groups"): lambda v: admin.DescribeGroupsRequest[v](groups=["kpgrp"], **({"include_authorized_operations": True} if v >= 3 else {})),
  (37, "create_partitions"): lambda v: admin.CreatePartitionsRequest[v](topic_partitions=[("golden", (3, None))], timeout=30000, validate_only=False),
  (42, "delete_groups"): lambda v: admin.DeleteGroupsRequest[v](groups_names=["kpgrp"]),
  (33, "alter_configs"): lambda v: admin.AlterConfigsRequest[v](resources=[(2, "golden", [("retention.ms", "1000")])], validate_only=False),
}
classes = {19: admin.CreateTopicsRequest, 20: admin.DeleteTopicsRequest, 32: admin.DescribeConfigsRequest, 16: admin.ListGroupsRequest, 15: admin.DescribeGroupsRequest, 37: admin.CreatePartitionsRequest, 42: admin.DeleteGroupsRequest, 33: admin.AlterConfigsRequest}
for (key, name), make in cases.items():
    for v in range(len(classes[key])):
        try:
            req = make(v)
        except Exception as e:
            print("skip", name, v, e); continue
        header = RequestHeader(req, correlation_id=7, client_id="kafka-python-2.0.2")
        data = header.encode() + req.encode()
        (out / f"kafka-python-encoded-{key:02d}-{name}-v{v}-request.bin").write_bytes(data)
        print("wrote", name, v, len(data))
