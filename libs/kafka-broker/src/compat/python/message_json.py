"""One JSON shape for a consumed message, whichever client read it: bytes as hex."""


def _hex(data):
    return None if data is None else data.hex()


def confluent_message(msg):
    return {
        "partition": msg.partition(),
        "offset": msg.offset(),
        "key": _hex(msg.key()),
        "value": _hex(msg.value()),
        "headers": [[k, _hex(v)] for k, v in (msg.headers() or [])],
        "timestamp": msg.timestamp()[1],
    }


def kafka_python_message(record):
    return {
        "partition": record.partition,
        "offset": record.offset,
        "key": _hex(record.key),
        "value": _hex(record.value),
        "headers": [[k, _hex(v)] for k, v in record.headers],
        "timestamp": record.timestamp,
    }
