"""Publishing upload jobs on the confirming publisher (shared/confirming_publisher.py); failures raise.

A message may reach the queue twice (a publish retried on a fresh connection), which is harmless: an
item is claimed once and its idempotency key is one.
"""

from __future__ import annotations

from services.national_upload import topology
from services.national_upload.domain import CARRIED, RetryPolicy
from shared.confirming_publisher import ConfirmingPublisher


def message_body(item: dict) -> dict:
    """What a job message carries: the item's address (with its upload's lane when it has one, and for
    an evidence file what its send needs), and whether it waits for its upload's evidence."""
    body = {"item_id": item["_id"], "school_id": item["school_id"]}
    if item.get("after_evidence"):
        body |= {"after_evidence": True, "upload_id": item["upload_id"]}
    if item.get("lane") is not None and item.get("upload_id"):
        body |= {"upload_id": item["upload_id"], "lane": item["lane"]}  # the worker batches by lane (batching.py)
        if item.get("kind") == "evidence" and all(item.get(f) is not None for f in CARRIED):
            body["send"] = {f: item[f] for f in CARRIED}
    return body


class Publisher(ConfirmingPublisher):
    """`with Publisher(uri, policy) as p: p.enqueue(item)`; every publish returns only once the broker confirmed it."""

    def __init__(self, amqp_uri: str, policy: RetryPolicy, name: str = "national-upload-publisher") -> None:
        super().__init__(amqp_uri, lambda channel: topology.declare(channel, policy), name)
        self.policy = policy

    def __enter__(self) -> Publisher:
        self._connect()
        return self

    def enqueue(self, item: dict) -> None:
        self.publish(topology.EXCHANGE, topology.ITEMS_KEY, message_body(item), message_id=item["idempotency_key"])

    def retry_later(self, item: dict, delay: int) -> None:
        self.publish(topology.EXCHANGE, topology.retry_key(delay), message_body(item), message_id=item["idempotency_key"])

    def dead_letter(self, item: dict, reason: str) -> None:
        self.publish(
            topology.DEAD_EXCHANGE,
            topology.DEAD_KEY,
            {"item_id": item["_id"], "school_id": item["school_id"], "reason": reason},
            message_id=item["idempotency_key"],
        )
