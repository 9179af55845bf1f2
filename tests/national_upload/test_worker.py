"""The work queue on a real RabbitMQ (own vhost) and real FerretDB; the sender is a function here
(the simulator-backed end-to-end tests live beside it)."""

from __future__ import annotations

import threading
import urllib.parse
import uuid

import pika

from services.national_upload import topology
from services.national_upload.batching import BatchedItems
from services.national_upload.domain import ItemState, RetryPolicy, SendResult, Verdict, idempotency_key
from services.national_upload.publisher import Publisher, message_body
from services.national_upload.worker import ItemHandler, Worker
from tests.support.system import wait_until

SCHOOL = "A00001"
POLICY = RetryPolicy(delays=(1, 2), max_attempts=3)


def _item(store, upload_id: str, n: int) -> dict:
    item_id = uuid.uuid4().hex
    doc = {
        "_id": item_id,
        "upload_id": upload_id,
        "roster": "26",
        "kind": "roster",
        "student_id": f"s{n}",
        "state": "queued",
        "attempts": 0,
        "history": [],
        "idempotency_key": idempotency_key(SCHOOL, 114, 1, "26", f"s{n}", item_id, "00" * 32),
    }
    store.insert_items(SCHOOL, [doc])
    return {**doc, "school_id": SCHOOL}


def _queue_depth(amqp_uri: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


def test_handler_records_each_verdict_and_ignores_redeliveries(isolated, upload_store):
    settings = isolated.settings()
    upload = uuid.uuid4().hex
    verdicts = iter([SendResult(Verdict.ACCEPTED, receipt_id="r1"), SendResult(Verdict.REJECTED, reasons=({"code": "E1"},))])
    with Publisher(settings.amqp_uri, POLICY) as publisher:
        handler = ItemHandler(upload_store, lambda item: next(verdicts), publisher, POLICY)
        accepted, rejected = _item(upload_store, upload, 1), _item(upload_store, upload, 2)
        assert handler.handle(SCHOOL, accepted["_id"]) is ItemState.ACCEPTED
        assert handler.handle(SCHOOL, rejected["_id"]) is ItemState.REJECTED
        assert handler.handle(SCHOOL, accepted["_id"]) is None  # redelivered: nothing sent, nothing changed
    assert upload_store.get_item(SCHOOL, accepted["_id"])["receipt_id"] == "r1"
    assert upload_store.get_item(SCHOOL, rejected["_id"])["reasons"] == [{"code": "E1"}]


def test_handler_retries_then_dead_letters_with_the_reason(isolated, upload_store):
    settings = isolated.settings()
    upload = uuid.uuid4().hex
    failing = _item(upload_store, upload, 3)
    with Publisher(settings.amqp_uri, POLICY) as publisher:
        handler = ItemHandler(upload_store, lambda item: SendResult(Verdict.RETRY, detail="HTTP 503"), publisher, POLICY)
        assert handler.handle(SCHOOL, failing["_id"]) is ItemState.RETRYING
        assert handler.handle(SCHOOL, failing["_id"]) is ItemState.RETRYING
        assert handler.handle(SCHOOL, failing["_id"]) is ItemState.DEAD
    item = upload_store.get_item(SCHOOL, failing["_id"])
    assert item["state"] == "dead" and item["detail"] == "HTTP 503" and item["attempts"] == 3
    assert _queue_depth(settings.amqp_uri, topology.DEAD_QUEUE) >= 1


def test_worker_drains_the_queue_and_retries_through_the_delay_queues(isolated, upload_store):
    settings = isolated.settings()
    upload = uuid.uuid4().hex
    items = [_item(upload_store, upload, n) for n in range(10, 30)]
    flaky = {items[0]["_id"], items[1]["_id"]}
    seen: dict[str, int] = {}

    def sender(item: dict) -> SendResult:
        seen[item["_id"]] = seen.get(item["_id"], 0) + 1
        if item["_id"] in flaky and seen[item["_id"]] == 1:
            return SendResult(Verdict.RETRY, detail="HTTP 429", retry_after=1)
        return SendResult(Verdict.ACCEPTED, receipt_id=f"r-{item['_id']}")

    with Publisher(settings.amqp_uri, POLICY) as publisher:
        for item in items:
            publisher.enqueue(item)
    worker = Worker(settings, sender, prefetch=4, policy=POLICY)
    _run_until_accepted(worker, upload_store, upload, len(items), 60)
    assert all(seen[i] == 1 for i in seen if i not in flaky) and all(seen[i] == 2 for i in flaky)
    progress = upload_store.progress(SCHOOL, upload)
    assert progress["accepted"] == 20 and progress["dead"] == 0 and progress["retrying"] == 0


def test_publishing_to_a_missing_queue_fails_loudly(isolated):
    settings = isolated.settings()
    with Publisher(settings.amqp_uri, POLICY) as publisher:
        try:
            publisher.publish(topology.EXCHANGE, "no-such-route", {"x": 1}, message_id="m1")
        except pika.exceptions.UnroutableError:
            pass
        else:
            raise AssertionError("an unroutable message was silently dropped")


def test_one_worker_keeps_several_items_in_flight_and_sends_each_once(isolated, upload_store):
    """The threads overlap the national side's waiting; acks still come only after each result is recorded."""
    settings = isolated.settings()
    upload = uuid.uuid4().hex
    items = [_item(upload_store, upload, n) for n in range(40, 64)]
    lock = threading.Lock()
    seen: dict[str, int] = {}
    in_flight = peak = 0
    release = threading.Event()

    def sender(item: dict) -> SendResult:
        nonlocal in_flight, peak
        with lock:
            seen[item["_id"]] = seen.get(item["_id"], 0) + 1
            in_flight += 1
            peak = max(peak, in_flight)
            if peak >= 4:
                release.set()
        release.wait(10)  # hold the first sends until four are waiting together
        with lock:
            in_flight -= 1
        return SendResult(Verdict.ACCEPTED, receipt_id=f"r-{item['_id']}")

    with Publisher(settings.amqp_uri, POLICY) as publisher:
        for item in items:
            publisher.enqueue(item)
    worker = Worker(settings, sender, prefetch=1, policy=POLICY, concurrency=4)
    _run_until_accepted(worker, upload_store, upload, len(items), 60)
    assert peak == 4  # four sends waiting at once in one process, never more than its threads
    assert all(seen.get(i["_id"]) == 1 for i in items)
    assert _queue_depth(settings.amqp_uri, topology.WORK_QUEUE) == 0  # every message acked


def _close_publisher_connections(vhost: str) -> int:
    """What RabbitMQ does to a connection that missed its heartbeats: close it from the broker's side."""
    import requests

    from tests.support.system import _mgmt_url

    listed = requests.get(f"{_mgmt_url()}/api/connections", auth=("guest", "guest"), timeout=10).json()
    ours = [
        c
        for c in listed
        if c.get("vhost") == vhost and (c.get("client_properties") or {}).get("connection_name") == "national-upload-publisher"
    ]
    for connection in ours:
        quoted = urllib.parse.quote(connection["name"], safe="")
        requests.delete(f"{_mgmt_url()}/api/connections/{quoted}", auth=("guest", "guest"), timeout=10).raise_for_status()
    return len(ours)


def test_a_worker_whose_idle_publisher_was_closed_by_the_broker_still_retries(isolated, upload_store, caplog):
    """A worker's publisher speaks only when an item is retried; idle for minutes, the broker closes it.
    The next retry opens a new connection, rather than handing every retried item back until RabbitMQ's
    delivery limit dead-letters it while the item still reads 排隊中."""
    settings = isolated.settings()
    upload = uuid.uuid4().hex
    item = _item(upload_store, upload, 70)
    sends: list[str] = []

    def sender(sent: dict) -> SendResult:
        sends.append(sent["_id"])
        return SendResult(Verdict.RETRY, detail="HTTP 503") if len(sends) == 1 else SendResult(Verdict.ACCEPTED, receipt_id="r70")

    worker = Worker(settings, sender, prefetch=1, policy=POLICY)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: _close_publisher_connections(isolated.vhost) >= 1, 30, "the worker's publisher connected, then closed")
        with Publisher(settings.amqp_uri, POLICY, name="test-publisher") as publisher:
            publisher.enqueue(item)
        wait_until(lambda: upload_store.get_item(SCHOOL, item["_id"])["state"] == "accepted", 30, "the item retried and accepted")
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert sends == [item["_id"], item["_id"]]  # one retry through the delay queue
    assert not [r for r in caplog.records if "handed back" in r.getMessage()]  # the retry was published, not handed back
    assert upload_store.get_item(SCHOOL, item["_id"])["attempts"] == 2


def test_batched_claims_and_results_send_and_record_each_item_once(isolated, upload_store):
    """Threads of one process claim and record together (services/national_upload/batching.py), over two
    lanes, half the messages saying what the send needs and half not; each item is still claimed before
    it is sent, sent once (one twice: its first send is retried) and recorded once, and a redelivery of
    an item already accepted sends nothing."""
    settings = isolated.settings()
    upload = uuid.uuid4().hex
    docs = []
    for n in range(70):
        item_id = f"{upload}:e{n:03d}"
        sha = f"{n:064x}"
        key = idempotency_key(SCHOOL, 114, 1, "evidence", f"s{n}", item_id, sha)
        sendable = {"ref": f"ev{n}", "filename": f"f{n}.pdf", "year": 114} if n % 2 else {}
        docs.append(
            {"_id": item_id, "upload_id": upload, "kind": "evidence", "content_sha256": sha, "student_id": f"s{n}", **sendable}
            | {"state": "queued", "attempts": 0, "history": [], "idempotency_key": key}
        )
    upload_store.insert_items(SCHOOL, docs)  # gives each its lane
    assert {d["lane"] for d in docs} == {0, 1}
    assert "send" in message_body({**docs[1], "school_id": SCHOOL}) and "send" not in message_body({**docs[0], "school_id": SCHOOL})
    retried = docs[3]["_id"]
    lock = threading.Lock()
    seen: dict[str, int] = {}
    claimed_before_sent: list[bool] = []

    def sender(item: dict) -> SendResult:
        with lock:
            seen[item["_id"]] = seen.get(item["_id"], 0) + 1
            first = seen[item["_id"]] == 1
        claimed_before_sent.append(upload_store.get_item(SCHOOL, item["_id"])["state"] == "sending")
        if item["_id"] == retried and first:
            return SendResult(Verdict.RETRY, detail="HTTP 503", retry_after=1)
        return SendResult(Verdict.ACCEPTED, detail="accepted", receipt_id=item["content_sha256"])

    with Publisher(settings.amqp_uri, POLICY) as publisher:
        for doc in docs:
            publisher.enqueue({**doc, "school_id": SCHOOL})
    worker = Worker(settings, sender, prefetch=8, policy=POLICY, concurrency=8)
    _run_until_accepted(worker, upload_store, upload, len(docs), 90)
    assert seen == {d["_id"]: 2 if d["_id"] == retried else 1 for d in docs} and all(claimed_before_sent)
    for doc in docs:
        stored = upload_store.get_item(SCHOOL, doc["_id"])
        expected = ["retrying", "accepted"] if doc["_id"] == retried else ["accepted"]
        assert stored["attempts"] == len(expected) and [h["state"] for h in stored["history"]] == expected, stored
    assert _queue_depth(settings.amqp_uri, topology.WORK_QUEUE) == 0  # every message acked

    def must_not_send(item: dict) -> SendResult:
        raise AssertionError(f"{item['_id']} sent again")

    with Publisher(settings.amqp_uri, POLICY) as publisher:
        handler = ItemHandler(upload_store, must_not_send, publisher, POLICY, BatchedItems(upload_store))
        assert handler.handle(SCHOOL, docs[0]["_id"], upload_id=upload, lane=docs[0]["lane"]) is None
        carried = message_body({**docs[1], "school_id": SCHOOL})["send"]
        assert handler.handle(SCHOOL, docs[1]["_id"], upload_id=upload, lane=docs[1]["lane"], carried=carried) is None


def _run_until_accepted(worker: Worker, upload_store, upload: str, count: int, timeout: int) -> None:
    """Run the worker in a thread until `count` items of the upload are accepted, then stop it."""
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: upload_store.progress(SCHOOL, upload)["accepted"] == count, timeout, "all items accepted")
    finally:
        worker.stop()
        thread.join(timeout=30)
    assert not thread.is_alive()
