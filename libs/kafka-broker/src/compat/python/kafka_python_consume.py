"""kafka-python reads COUNT messages in consumer group GROUP and commits them.

usage: kafka_python_consume.py BOOTSTRAP TOPIC GROUP COUNT
Prints the messages as a JSON list.
"""
import json
import sys
import time

from kafka import KafkaConsumer

from message_json import kafka_python_message

bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap,
    group_id=group,
    client_id="kafka-python-consumer",
    auto_offset_reset="earliest",
    enable_auto_commit=False,
)
messages = []
deadline = time.time() + 60
while len(messages) < count and time.time() < deadline:
    for records in consumer.poll(timeout_ms=500).values():
        messages.extend(kafka_python_message(r) for r in records)
consumer.commit()
consumer.close()
print(json.dumps(messages))
