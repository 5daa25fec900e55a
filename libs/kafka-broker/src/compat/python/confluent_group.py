"""Two confluent-kafka (librdkafka) consumers in one group read `count` messages between them.

usage: confluent_group.py BOOTSTRAP TOPIC GROUP COUNT
Prints "ready" once both members own partitions, then one JSON object: {"assignments": {member: [partitions]}, "messages": [...]}; each message
carries the member that read it. Both consumers are polled from one thread in turn, so neither
misses its rebalance callbacks.
"""
import json
import sys
import time

from confluent_kafka import Consumer

from message_json import confluent_message

bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
assignments = {}
consumers = {}
for name in ("a", "b"):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "client.id": f"confluent-{name}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 10000,
    })

    def on_assign(_consumer, partitions, name=name):
        assignments[name] = sorted(p.partition for p in partitions)

    consumer.subscribe([topic], on_assign=on_assign)
    consumers[name] = consumer

messages = []
deadline = time.time() + 60


def poll_all():
    for name, consumer in consumers.items():
        msg = consumer.poll(0.1)
        if msg is not None and not msg.error():
            messages.append({"member": name, **confluent_message(msg)})
            consumer.commit(message=msg, asynchronous=False)


# The topic is empty until we say "ready": by then the group has split its partitions.
while time.time() < deadline and not (len(assignments) == 2 and all(assignments.values())):
    poll_all()
print("ready", flush=True)
while time.time() < deadline and len(messages) < count:
    poll_all()
for consumer in consumers.values():
    consumer.close()
print(json.dumps({"assignments": assignments, "messages": messages}))
