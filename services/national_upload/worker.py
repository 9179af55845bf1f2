"""Upload workers: `python -m services.national_upload.worker` (run 1 or 50; they share nothing).

Each message names one item. The worker claims it in MongoDB, sends it with its idempotency key,
records the result, and only then acknowledges the message. A worker killed between sending and
acknowledging leaves the message unacknowledged: RabbitMQ redelivers it, the item is sent again with
the same key, and the national side answers with its first acceptance, so nothing is accepted twice.

One process keeps several items in flight (LICHENG_UPLOAD_CONCURRENCY threads, default 32): a send
is mostly waiting for the national side, so the threads overlap that waiting, and their claims,
results and presigned-URL requests go together in batches (services/national_upload/batching.py).
pika's connection is not thread-safe, so a thread never touches it: when its item is recorded it
hands the ack to the connection's own thread with add_callback_threadsafe. SIGTERM stops consuming; items in flight are
finished and acked (or, if the process dies, redelivered).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pika
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from pika.exceptions import AMQPConnectionError, ChannelClosedByBroker, ConnectionClosedByBroker, StreamLostError
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from services.national_upload import topology
from services.national_upload.batching import Accepted, BatchedItems, Claim, GroupCommit
from services.national_upload.domain import FINAL_STATES, ItemState, RetryPolicy, SendResult, Verdict
from services.national_upload.publisher import Publisher
from services.national_upload.store import UploadStore
from shared.amqp import pika_parameters
from shared.caller import Caller
from shared.config import Settings, load_settings
from shared.errors import LichengError
from shared.logs import configure_logging, log_event
from shared.mongo import make_client
from shared.reply_queues import transient_reply_queues

log = logging.getLogger("licheng.national_upload.worker")
Sender = Callable[[dict], SendResult]

# Prometheus (served on LICHENG_METRICS_PORT): jobs per second = rate(items_total), retries and dead
# letters = items_total{result="retrying"|"dead"}, national latency, and the queue as this worker sees it.
ITEMS = Counter("licheng_upload_items_total", "Upload items handled by this worker", ["result"])
NATIONAL_SECONDS = Histogram(
    "licheng_upload_national_seconds",
    "Time to send one item to the national database",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
QUEUE_READY = Gauge("licheng_upload_queue_ready", "Messages waiting in the work queue (not yet delivered)")
QUEUE_CONSUMERS = Gauge("licheng_upload_queue_consumers", "Workers consuming the work queue")
# How many items one write or one RPC served (services/national_upload/batching.py): 1 means no batching.
BATCH_SIZE = Histogram(
    "licheng_upload_batch_size", "Items per batched claim, result or URL request", ["kind"], buckets=(1, 2, 4, 8, 16, 32, 64, 128)
)
QUEUE_POLL_SECONDS = 5.0
PAUSE_CHECK_SECONDS = 5.0
# The work queue's delivery limit counts hand-backs. Handed back at once, a message would spend its ten
# deliveries in milliseconds on a passing fault (a database failover) and be dead-lettered by RabbitMQ.
HAND_BACK_PAUSE_SECONDS = 2.0
SETTLE_SECONDS = 10.0  # a graceful stop waits this long at most for its queued acks to go out


class LockedPublisher:
    """The handler's threads share one confirming publisher; its pika connection takes one caller at a time."""

    def __init__(self, publisher: Publisher) -> None:
        self._publisher = publisher
        self._lock = threading.Lock()

    def retry_later(self, item: dict, delay: int) -> None:
        with self._lock:
            self._publisher.retry_later(item, delay)

    def dead_letter(self, item: dict, reason: str) -> None:
        with self._lock:
            self._publisher.dead_letter(item, reason)


class ItemHandler:
    """What one message does; separate from the consuming loop so it can be tested on its own."""

    def __init__(
        self,
        store: UploadStore,
        sender: Sender,
        publisher: Publisher | LockedPublisher,
        policy: RetryPolicy,
        batched: BatchedItems | None = None,
    ) -> None:
        self.store = store
        self.sender = sender
        self.publisher = publisher
        self.policy = policy
        self.batched = batched  # several threads: their claims and results written together (batching.py)
        self._pause_cache: dict[str, tuple[float, bool]] = {}

    def handle(
        self,
        school_id: str,
        item_id: str,
        waits_for: str | None = None,
        *,
        upload_id: str | None = None,
        lane: int | None = None,
        carried: dict | None = None,
    ) -> ItemState | None:
        """`waits_for`: an upload whose evidence items must all be final before this roster goes
        (its rows refer to those files); until then the message comes back after the shortest delay.
        `upload_id` and `lane` (from the message) let the claim and the result join a batch, and
        `carried` (an evidence file's message says what its send needs) spares the claim its read."""
        if self._paused(school_id):
            return self._hold(school_id, item_id)
        if waits_for and self.store.evidence_pending(school_id, waits_for):
            waiting = {"_id": item_id, "school_id": school_id, "upload_id": waits_for, "after_evidence": True, "idempotency_key": item_id}
            self.publisher.retry_later({**waiting, **({"lane": lane} if lane is not None else {})}, self.policy.delays[0])
            ITEMS.labels("waiting").inc()
            return ItemState.QUEUED
        lane_of = (upload_id, lane) if self.batched is not None and upload_id is not None and lane is not None else None
        state = self._handle(school_id, item_id, lane_of, carried)
        ITEMS.labels(state.value if state else "already_final").inc()
        return state

    def _paused(self, school_id: str) -> bool:
        """The registrar paused this school's uploads (deadline console); read at most every few seconds."""
        now = time.monotonic()
        cached = self._pause_cache.get(school_id)
        if cached is None or now - cached[0] > PAUSE_CHECK_SECONDS:
            cached = (now, self.store.is_paused(school_id))
            self._pause_cache[school_id] = cached
        return cached[1]

    def _hold(self, school_id: str, item_id: str) -> ItemState | None:
        """A paused school's item waits in the longest delay queue: nothing sent, no attempt spent."""
        item = self.store.get_item(school_id, item_id)
        if item is None or item["state"] in {s.value for s in (*FINAL_STATES, ItemState.DEAD)}:
            return None
        self.publisher.retry_later({**item, "school_id": school_id}, self.policy.delays[-1])
        ITEMS.labels("paused").inc()
        return ItemState(item["state"])

    def _handle(
        self, school_id: str, item_id: str, lane_of: tuple[str, int] | None = None, carried: dict | None = None
    ) -> ItemState | None:
        if lane_of is not None and self.batched is not None:
            item = self.batched.claim(Claim(school_id, *lane_of, item_id, carried))
        else:
            item = self.store.start_sending(school_id, item_id)
        if item is None:
            return None  # already accepted or rejected: a redelivery changes nothing
        started = time.perf_counter()
        try:
            result = self.sender(item)
        except Exception as exc:  # the sender's own failure (network, bug): retried like a 5xx
            result = SendResult(Verdict.RETRY, detail=f"{type(exc).__name__}: {exc}")
        NATIONAL_SECONDS.observe(time.perf_counter() - started)
        if result.verdict is Verdict.ACCEPTED:
            if lane_of is not None and self.batched is not None and _receipt_is_its_content(item, result):
                self.batched.accept(Accepted(school_id, *lane_of, item_id, result.detail))
            else:
                self.store.record(school_id, item_id, ItemState.ACCEPTED, receipt_id=result.receipt_id, detail=result.detail)
            return ItemState.ACCEPTED
        if result.verdict is Verdict.REJECTED:
            self.store.record(school_id, item_id, ItemState.REJECTED, reasons=list(result.reasons), detail=result.detail)
            return ItemState.REJECTED
        if "attempts" not in item:  # claimed from what its message carried: read how often it was tried
            item = {**(self.store.get_item(school_id, item_id) or {}), **item}
        attempts = item.get("attempts", 1)
        if self.policy.gives_up(attempts):
            self.store.record(school_id, item_id, ItemState.DEAD, detail=result.detail or "too many failed attempts")
            self.publisher.dead_letter(item, result.detail)
            return ItemState.DEAD
        delay = self.policy.delay_for(attempts, result.retry_after)
        self.store.record(school_id, item_id, ItemState.RETRYING, detail=result.detail, retry_in=delay)
        self.publisher.retry_later(item, delay)
        return ItemState.RETRYING


def _receipt_is_its_content(item: dict, result: SendResult) -> bool:
    """An accepted evidence file whose receipt is the SHA-256 we sent: nothing of its own to keep."""
    return item.get("kind") == "evidence" and not result.reasons and result.receipt_id in (None, item.get("content_sha256"))


class Worker:
    def __init__(
        self, settings: Settings, sender: Sender, *, prefetch: int = 4, policy: RetryPolicy | None = None, concurrency: int = 1
    ) -> None:
        self.settings = settings
        self.sender = sender
        self.concurrency = max(1, concurrency)
        self.prefetch = max(prefetch, self.concurrency)  # every thread has its next item at hand
        self.policy = policy or RetryPolicy()
        self.stopping = False
        self.connection: pika.BlockingConnection | None = None

    def stop(self, *_: object) -> None:
        self.stopping = True
        if self.connection is not None and self.connection.is_open:
            self.connection.add_callback_threadsafe(self._stop_consuming)

    def _stop_consuming(self) -> None:
        # Runs in pika's loop between messages: the message being handled has been finished and acked.
        if self.connection is not None and self.connection.is_open:
            self._channel.stop_consuming()

    def _watch_queue(self) -> None:
        """Every few seconds, between messages: the work queue's depth and consumers, for the gauges."""
        if self.connection is None or not self.connection.is_open or self.stopping:
            return
        try:
            declared = self._channel.queue_declare(topology.WORK_QUEUE, passive=True).method
            QUEUE_READY.set(declared.message_count)
            QUEUE_CONSUMERS.set(declared.consumer_count)
        finally:
            if self.connection.is_open and not self.stopping:  # a lost connection: run() reconnects and starts anew
                self.connection.call_later(QUEUE_POLL_SECONDS, self._watch_queue)

    def run(self) -> None:
        """Consume until stopped; reconnect with backoff when RabbitMQ goes away (nothing is lost meanwhile)."""
        client = make_client(self.settings)
        store = UploadStore(client[self.settings.database_name("national_upload")])
        store.ensure_indexes()
        backoff = 1.0
        while not self.stopping:
            try:
                self._consume(store)
                backoff = 1.0
            except (AMQPConnectionError, ConnectionClosedByBroker, ChannelClosedByBroker, StreamLostError) as exc:
                if self.stopping:
                    break
                log_event(log, "broker connection lost; reconnecting", error=type(exc).__name__, wait_s=backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 15.0)
        client.close()

    def _consume(self, store: UploadStore) -> None:
        parameters = pika_parameters(self.settings.amqp_uri, heartbeat=30)
        with Publisher(self.settings.amqp_uri, self.policy) as publisher:
            batched = BatchedItems(store, observe=lambda kind, n: BATCH_SIZE.labels(kind).observe(n)) if self.concurrency > 1 else None
            handler = ItemHandler(store, self.sender, LockedPublisher(publisher), self.policy, batched)
            self.connection = pika.BlockingConnection(parameters)
            connection = self.connection
            channel = self._channel = connection.channel()
            topology.declare(channel, self.policy)
            channel.basic_qos(prefetch_count=self.prefetch)
            pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="upload")
            unsettled = _Count()  # handed back by a thread, not yet acked on the connection's own thread

            def settle(tag: int, done: bool) -> None:
                unsettled.add(-1)
                if channel.is_open:  # closed meanwhile: the broker redelivers, the key keeps it once
                    if done:
                        channel.basic_ack(tag)
                    else:
                        channel.basic_nack(tag, requeue=True)  # counted by the queue's delivery limit

            def hand_back(tag: int, done: bool) -> None:
                unsettled.add(1)
                try:  # from the connection's own thread
                    connection.add_callback_threadsafe(lambda: settle(tag, done))
                except Exception:  # the connection is gone: the message comes back
                    unsettled.add(-1)
                    log.warning("connection closed before an item was settled; it will be redelivered")

            def work(method, body: bytes) -> None:
                message = json.loads(body)
                waits_for = message.get("upload_id") if message.get("after_evidence") else None
                try:
                    state = handler.handle(
                        message["school_id"],
                        message["item_id"],
                        waits_for,
                        upload_id=message.get("upload_id"),
                        lane=message.get("lane"),
                        carried=message.get("send"),
                    )
                except Exception:  # the database or broker away: handed back, redelivered later
                    log.exception("item failed; handed back for redelivery")
                    time.sleep(HAND_BACK_PAUSE_SECONDS)
                    hand_back(method.delivery_tag, False)
                    return
                log_event(
                    log,
                    "item",
                    item=message["item_id"],
                    school=message["school_id"],
                    state=state.value if state else "already final",
                    redelivered=method.redelivered,
                )
                hand_back(method.delivery_tag, True)  # only after the result is recorded

            def on_message(channel, method, properties, body) -> None:
                pool.submit(work, method, body)

            channel.basic_consume(topology.WORK_QUEUE, on_message)
            self._watch_queue()
            try:
                channel.start_consuming()
            finally:
                pool.shutdown(wait=True)  # items in flight finish; their acks are queued on the connection
                if connection.is_open:
                    try:
                        _deliver_settlements(connection, unsettled)
                    finally:
                        connection.close()


class _Count:
    """A counter shared by the worker threads and the connection's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


def _deliver_settlements(connection: pika.BlockingConnection, unsettled: _Count) -> None:
    """Run the connection's loop until every queued ack has gone out, so a graceful stop leaves nothing
    unacked. One zero-length pass is not enough: under load the wake-up of a callback queued from another
    thread may not be read in it, and the message would come back as a copy of a finished item."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while unsettled.value > 0 and connection.is_open and time.monotonic() < deadline:
        connection.process_data_events(time_limit=0.05)
    connection.process_data_events(time_limit=0)  # flush the last acks' frames


def main() -> int:
    configure_logging()
    transient_reply_queues()  # its evidence proxies' reply queues outlive a broker node
    from services.national_upload.national_client import NationalClient

    settings = load_settings()
    client = make_client(settings)
    evidence_url, rpc_proxy = evidence_url_source(settings)
    sender = NationalClient(settings, UploadStore(client[settings.database_name("national_upload")]), evidence_url).send
    policy = RetryPolicy.from_settings(settings.upload_retry_delays, settings.upload_max_attempts)
    # 32 in flight: the national side's latency is waiting, and the more wait together, the larger the
    # batches of claims and results (batching.py), the fewer FerretDB scans per item
    concurrency = int(os.environ.get("LICHENG_UPLOAD_CONCURRENCY", "32"))
    worker = Worker(settings, sender, prefetch=settings.upload_prefetch, policy=policy, concurrency=concurrency)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    metrics_port = int(os.environ.get("LICHENG_METRICS_PORT", "0"))
    if metrics_port:
        start_http_server(metrics_port, addr=os.environ.get("LICHENG_METRICS_ADDR", "127.0.0.1"))
    log_event(log, "worker started", prefetch=worker.prefetch, concurrency=concurrency)
    try:
        worker.run()
    finally:
        rpc_proxy.stop()
    return 0


def evidence_url_source(settings: Settings) -> tuple[Callable[[dict], str], ProxyGroup]:
    """Evidence bytes come from the evidence service as a short presigned GET (asked as the system
    caller); the worker never reads the object store's keys itself. The worker's threads ask together
    (one `fetch_urls` call for whatever is asked while the last one runs), so an item costs a share of
    one RPC hop. The group commit runs one call at a time, so one standalone proxy (not thread-safe)
    serves every thread in turn."""
    proxies = ProxyGroup()
    held: list = []

    def cluster():
        if not held:
            standalone = ClusterRpcProxy(
                settings.nameko_config(), context_data=Caller.system().to_context(), timeout=settings.rpc_timeout_seconds
            )
            held.append((standalone, standalone.start()))
            proxies.add(standalone)
        return held[0]

    def fetch(asked: list[tuple[str, str]]) -> list[str | None]:
        by_school: dict[str, list[str]] = {}
        for school, ref in asked:
            by_school.setdefault(school, []).append(ref)
        urls: dict[tuple[str, str], str] = {}
        for school, refs in by_school.items():
            for start in range(0, len(refs), 200):
                standalone, proxy = cluster()
                try:
                    answer = proxy.evidence.fetch_urls(school, refs[start : start + 200])
                except (RemoteError, LichengError):
                    raise  # the service answered: the proxy is sound
                except Exception:
                    # A standalone proxy whose broker connection broke (its node died) refuses every later
                    # call: the next one opens a fresh proxy on a node that is up (these items are retried).
                    held.clear()
                    proxies.discard(standalone)
                    raise
                for ref, got in answer.items():
                    urls[(school, ref)] = got["url"]
        return [urls.get(a) for a in asked]

    together: GroupCommit[tuple[str, str], str | None] = GroupCommit(fetch, observe=BATCH_SIZE.labels("fetch_url").observe)

    def url(item: dict) -> str:
        found = together((item["school_id"], item["ref"]))
        if found is None:
            raise LookupError(f"evidence {item['ref']} not found")  # retried like any failed send
        return found

    return url, proxies


class ProxyGroup:
    """The RPC proxies of one worker (a broken one is replaced), stopped at exit like one proxy."""

    def __init__(self) -> None:
        self._proxies: list[ClusterRpcProxy] = []
        self._lock = threading.Lock()

    def add(self, proxy: ClusterRpcProxy) -> None:
        with self._lock:
            self._proxies.append(proxy)

    def discard(self, proxy: ClusterRpcProxy) -> None:
        with self._lock:
            if proxy in self._proxies:
                self._proxies.remove(proxy)
        try:
            proxy.stop()
        except Exception:  # a broken connection may fail to close; it is dropped either way
            pass

    def stop(self) -> None:
        with self._lock:
            for proxy in self._proxies:
                proxy.stop()


if __name__ == "__main__":
    sys.exit(main())
