"""Every example and test fixture file validates against docs/fixtures.schema.json,
and files the loader refuses are refused by the schema too."""

import glob
import json
import os
import unittest

import jsonschema
import yaml

ROOT = os.environ.get("MOCKFORGE_SOURCE_ROOT",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
with open(os.path.join(ROOT, "docs", "fixtures.schema.json")) as f:
    SCHEMA = json.load(f)


def validator(definition=None):
    schema = dict(SCHEMA)
    if definition:
        schema = {"$ref": f"#/$defs/{definition}", "$defs": SCHEMA["$defs"]}
    return jsonschema.Draft202012Validator(schema)


def schema_for(path):
    """The sectioned form; in a <protocol>/ directory, that protocol's bare section too
    (the loader reads a <protocol>.fixtures_dir's files in either form)."""
    parent = os.path.basename(os.path.dirname(path))
    if parent not in ("kafka", "mqtt", "amqp"):
        return validator()
    sectioned = {k: v for k, v in SCHEMA.items() if k not in ("$schema", "$id", "$defs")}
    return jsonschema.Draft202012Validator({
        "$defs": {**SCHEMA["$defs"], "sectionedFile": sectioned},
        "anyOf": [{"$ref": f"#/$defs/{parent}File"}, {"$ref": "#/$defs/sectionedFile"}]})


class FixtureSchemaTest(unittest.TestCase):
    def test_schema_is_valid(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)

    def test_every_fixture_file_validates(self):
        files = [p for pattern in ("examples/**/fixtures/**/*.yaml", "examples/**/fixtures/**/*.yml",
                                   "tests/clients/fixtures/*.yaml", "tests/clients/responders/*.yaml",
                                   "tests/clients/asyncapi/play/*.yaml")
                 for p in glob.glob(os.path.join(ROOT, pattern), recursive=True)]
        self.assertTrue(files)
        for path in files:
            with self.subTest(path=os.path.relpath(path, ROOT)):
                with open(path) as f:
                    document = yaml.safe_load(f)
                errors = [e.message for e in schema_for(path).iter_errors(document)]
                self.assertEqual(errors, [])

    def test_refuses_what_the_loader_refuses(self):
        bad = [
            {"amqp": {"exchanges": [{"name": "x", "type": "weird"}]}},
            {"amqp": {"exchanges": [{"name": "amq.mine", "type": "topic"}]}},
            {"amqp": {"bindings": [{"exchange": "x"}]}},
            {"mqtt": {"fixtures": [{"identifier": "a", "topic": "a/+", "payload": "p"}]}},
            {"mqtt": {"fixtures": [{"identifier": "a", "topic": "a", "payload": "p", "seed_count": 1}]}},
            {"kafka": {"fixtures": [{"identifier": "a", "topic": "bad topic", "payload": "p"}]}},
            {"kafka": {"fixtures": [{"identifier": "a", "topic": "t", "key_patern": "x", "payload": "p"}]}},
            {"kafka": {"fixtures": [{"identifier": "a", "topic": "t", "payload": "p",
                                     "auto_produce": {"rate_per_second": -1}}]}},
            {"kafak": {}},
            {"responders": [{"identifier": "r", "when": {"protocol": "kafka", "topic": "t"}}]},
            {"responders": [{"identifier": "r", "when": {"protocol": "amqp", "topic": "t"},
                             "then": {"protocol": "amqp", "exchange": "", "payload": "p"}}]},
            {"responders": [{"identifier": "r", "when": {"protocol": "kafka", "topic": "t"},
                             "then": {"protocol": "kafka", "topic": "t", "payload": "p",
                                      "seed_count": 1}}]},
            {"responders": [{"identifier": "r", "when": {"protocol": "mqtt", "topic": "a"},
                             "then": [{"protocol": "mqtt", "topic": "b", "payload": "p",
                                       "delay_ms": -1}]}]},
            {"kafka": {"consumer_groups": [{"group_id": "g", "offsets": [
                {"topic": "t", "partition": 0, "offset": -1}]}]}},
            {"kafka": {"consumer_groups": [{"group_id": "g"}]}},
            {"mqtt": {"sessions": [{"client_id": "c", "session_expiry_interval": 0}]}},
            {"mqtt": {"sessions": [{"client_id": "c", "queued": [
                {"topic": "t", "payload": "p", "qos": 0}]}]}},
            {"mqtt": {"sessions": [{"client_id": "c", "subscriptions": [
                {"filter": "a", "retain_handling": 3}]}]}},
            {"amqp": {"users": [{"name": "u"}]}},
            {"amqp": {"permissions": [{"vhost": "v"}]}},
            {"amqp": {"queues": [{"name": "q", "vhost": ""}]}},
            {"asyncapi": [{"play": "*", "rate_per_second": 1}]},
            {"asyncapi": [{"document": "a.yaml", "source": "random"}]},
            {"asyncapi": [{"document": "a.yaml", "rate_per_second": 0}]},
            {"asyncapi": [{"document": "a.yaml", "play": [], "replies": [{"request": "q"}]}]},
        ]
        for document in bad:
            with self.subTest(document=document):
                self.assertFalse(validator().is_valid(document))


if __name__ == "__main__":
    unittest.main()
