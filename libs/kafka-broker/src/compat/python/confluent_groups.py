"""confluent-kafka's (librdkafka's) AdminClient.list_groups: ListGroups, then DescribeGroups.

usage: confluent_groups.py BOOTSTRAP GROUP
Prints one JSON object: {"listed": [[group, protocol_type]], "group": {...}}; the members'
metadata and assignment as the raw bytes the broker sent (hex).
"""
import json
import sys

from confluent_kafka.admin import AdminClient

bootstrap, group_id = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": "confluent-admin"})
groups = admin.list_groups(timeout=30)
[group] = [g for g in groups if g.id == group_id]
print(json.dumps({
    "listed": sorted([g.id, g.protocol_type] for g in groups),
    "group": {
        "error": None if group.error is None else str(group.error),
        "group": group.id,
        "state": group.state,
        "protocol_type": group.protocol_type,
        "protocol": group.protocol,
        "members": [{
            "member_id": m.id,
            "client_id": m.client_id,
            "client_host": m.client_host,
            "metadata": bytes(m.metadata).hex(),
            "assignment": bytes(m.assignment).hex(),
        } for m in group.members],
    },
}))
