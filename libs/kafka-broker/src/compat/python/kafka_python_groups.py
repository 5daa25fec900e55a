"""kafka-python's admin client lists the broker's groups and describes one.

usage: kafka_python_groups.py BOOTSTRAP GROUP
Prints one JSON object: {"listed": [[group, protocol_type]], "group": {...}}; the members'
metadata and assignment as kafka-python decoded them (subscription, {topic: partitions}).
"""
import json
import sys

from kafka import KafkaAdminClient

bootstrap, group_id = sys.argv[1], sys.argv[2]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kafka-python-admin")
try:
    listed = sorted([group, protocol_type] for group, protocol_type in admin.list_consumer_groups())
    [group] = admin.describe_consumer_groups([group_id])
finally:
    admin.close()
print(json.dumps({
    "listed": listed,
    "group": {
        "error_code": group.error_code,
        "group": group.group,
        "state": group.state,
        "protocol_type": group.protocol_type,
        "protocol": group.protocol,
        "members": [{
            "member_id": m.member_id,
            "client_id": m.client_id,
            "client_host": m.client_host,
            "subscription": list(m.member_metadata.subscription),
            "assignment": {topic: list(partitions) for topic, partitions in m.member_assignment.assignment},
        } for m in group.members],
    },
}))
