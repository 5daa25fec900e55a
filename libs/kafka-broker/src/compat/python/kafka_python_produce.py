"""kafka-python produces the messages given as JSON lines on stdin (hex key/value/headers).

usage: kafka_python_produce.py BOOTSTRAP TOPIC < messages.jsonl
Prints the acknowledged (partition, offset) of each message as a JSON list.
"""
import json
import sys

from kafka import KafkaProducer

bootstrap, topic = sys.argv[1], sys.argv[2]
producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id="kafka-python-producer")
futures = []
for line in sys.stdin:
    m = json.loads(line)
    futures.append(producer.send(
        topic,
        key=bytes.fromhex(m["key"]),
        value=bytes.fromhex(m["value"]),
        headers=[(k, bytes.fromhex(v)) for k, v in m["headers"]],
        timestamp_ms=m["timestamp"],
        partition=m.get("partition"),
    ))
acks = [f.get(timeout=30) for f in futures]
producer.close()
print(json.dumps([{"partition": a.partition, "offset": a.offset} for a in acks]))
