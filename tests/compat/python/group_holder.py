#!/usr/bin/python3
"""Holds a confluent-kafka consumer group member for brokerctl/management tests.

usage: group_holder.py BOOTSTRAP TOPIC GROUP
Creates TOPIC with 2 partitions, writes 10 records to each, joins GROUP, reads everything, commits
offset 7 on partition 0 and 4 on partition 1, prints {"ready": true} and stays in the
group (polling) until its stdin closes.
"""
import json
import sys
import threading
import time

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, group = sys.argv[1:4]
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(timeout=30)
producer = Producer({"bootstrap.servers": bootstrap})
for i in range(20):
    producer.produce(topic, value=str(i).encode(), partition=i % 2)
if producer.flush(30) != 0:
    sys.exit("produce did not finish")

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": "holder",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False, "session.timeout.ms": 6000})
consumer.subscribe([topic])
seen, deadline = 0, time.time() + 60
while seen < 20 and time.time() < deadline:
    m = consumer.poll(0.5)
    if m is not None and not m.error():
        seen += 1
if seen < 20:
    sys.exit(f"consumed only {seen} of 20")
consumer.commit(offsets=[TopicPartition(topic, 0, 7), TopicPartition(topic, 1, 4)], asynchronous=False)
print(json.dumps({"ready": True}), flush=True)

closed = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), closed.set()), daemon=True).start()
while not closed.is_set():
    consumer.poll(0.2)
consumer.close()
