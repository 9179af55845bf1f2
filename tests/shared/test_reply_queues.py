"""Reply queues that outlive their broker node (shared/reply_queues.py): declared non-durable, so a
cluster drops them with a dead node and the reconnected consumer declares them again elsewhere; and a
call whose reply was lost with the node ends (503) instead of holding its worker for ever."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from amqp.exceptions import NotFound
from eventlet.event import Event
from nameko import rpc as nameko_rpc
from nameko.messaging import QueueConsumer
from nameko.standalone.rpc import ClusterRpcProxy, PollingQueueConsumer

from shared import reply_queues
from shared.errors import ServiceUnavailable


class _Container(SimpleNamespace):
    def __init__(self) -> None:
        super().__init__(service_name="svc", config={"AMQP_URI": "amqp://127.0.0.1:1/"}, shared_extensions={})


@pytest.fixture
def patched(monkeypatch):
    monkeypatch.setattr(nameko_rpc.ReplyListener, "setup", nameko_rpc.ReplyListener.setup)
    monkeypatch.setattr(nameko_rpc.MethodProxy, "_call", nameko_rpc.MethodProxy._call)
    monkeypatch.setattr(QueueConsumer, "get_consumers", QueueConsumer.get_consumers)
    reply_queues.transient_reply_queues()
    reply_queues.bounded_reply_waits()


def test_a_service_declares_its_reply_queue_non_durable_with_nameko_s_expiry(patched):
    container = _Container()  # bound extensions hold their container weakly
    listener = nameko_rpc.ReplyListener().bind(container)
    listener.setup()
    assert listener.queue.name.startswith("rpc.reply-svc-")
    assert listener.queue.durable is False and listener.queue.auto_delete is False
    assert listener.queue.queue_arguments == {"x-expires": nameko_rpc.RPC_REPLY_QUEUE_TTL}


def test_a_standalone_proxy_declares_its_reply_queue_non_durable_too(patched, monkeypatch):
    declared = []  # its consumer declares the queue as soon as it is registered
    monkeypatch.setattr(PollingQueueConsumer, "register_provider", lambda self, provider: declared.append(provider.queue.durable))
    proxy = ClusterRpcProxy({"AMQP_URI": "amqp://127.0.0.1:1/"})
    proxy._reply_listener.setup()
    assert declared == [False]


def test_a_lost_reply_ends_the_wait_as_a_503_and_forgets_the_call(patched):
    listener = SimpleNamespace(_reply_events={})
    event = Event()
    listener._reply_events["corr-1"] = event
    started = time.monotonic()
    with pytest.raises(reply_queues.ReplyLost) as raised:
        reply_queues._BoundedReply(event, listener, 0.05).result()
    assert time.monotonic() - started < 2
    assert isinstance(raised.value, ServiceUnavailable) and raised.value.status == 503
    assert listener._reply_events == {}


def test_a_reply_that_comes_is_the_result(patched):
    event = Event()
    event.send({"result": {"ok": True}, "error": None})
    assert reply_queues._BoundedReply(event, SimpleNamespace(_reply_events={}), 1.0).result() == {"ok": True}


def test_a_call_waits_until_its_caller_s_deadline_and_a_grace(patched, monkeypatch):
    published = []

    class Publisher:
        def __init__(self, *args, **kwargs) -> None:
            pass

        def publish(self, *args, **kwargs) -> None:
            published.append(kwargs)

    monkeypatch.setattr(nameko_rpc.MethodProxy, "publisher_cls", Publisher)
    listener = SimpleNamespace(
        _reply_events={}, routing_key="r", get_reply_event=lambda cid: listener._reply_events.setdefault(cid, Event())
    )
    container = _Container()
    worker_ctx = SimpleNamespace(container=container, data={"deadline": f"{time.time() + 10:.3f}"}, context_data={}, call_id_stack=[])
    monkeypatch.setattr(nameko_rpc.MethodProxy, "get_message_headers", lambda self, ctx: {})
    reply = nameko_rpc.MethodProxy(worker_ctx, "records", "get", listener)._call()
    assert published and isinstance(reply, reply_queues._BoundedReply)
    assert 10 < reply._wait_s < 10.01 + reply_queues.DEADLINE_GRACE_S  # the deadline travels in milliseconds
    worker_ctx.data.clear()  # an event handler's call: no deadline
    reply = nameko_rpc.MethodProxy(worker_ctx, "records", "get", listener)._call()
    assert reply._wait_s == reply_queues.UNBOUNDED_CALL_LIMIT_S


class _Broker:
    """A connection whose passive declare finds the reply queue, or not (its node died with it)."""

    def __init__(self, queue_exists: bool) -> None:
        self.queue_exists = queue_exists
        self.asked: list[str] = []

    def channel(self):
        return self

    def queue_declare(self, queue: str, passive: bool) -> None:
        assert passive
        self.asked.append(queue)
        if not self.queue_exists:
            raise NotFound(f"no queue '{queue}'")

    def close(self) -> None:
        pass


@pytest.mark.parametrize("queue_exists", [True, False])
def test_a_service_reconnected_to_a_new_reply_queue_ends_its_waiting_calls_at_once(patched, monkeypatch, queue_exists):
    monkeypatch.setattr(reply_queues, "_original_get_consumers", lambda self, consumer_cls, channel: [])
    container = _Container()
    listener = nameko_rpc.ReplyListener().bind(container)
    listener.setup()
    consumer = listener.queue_consumer
    broker = _Broker(queue_exists)
    consumer.get_consumers(None, SimpleNamespace(connection=broker))  # the first connection: nothing asked
    assert broker.asked == []
    waiting = listener.get_reply_event("corr-1")
    consumer.get_consumers(None, SimpleNamespace(connection=broker))  # a reconnection, a call waiting
    assert broker.asked == [listener.queue.name]
    if queue_exists:  # its reply may still come
        assert listener._reply_events == {"corr-1": waiting} and not waiting.ready()
    else:
        assert listener._reply_events == {}
        with pytest.raises(reply_queues.ReplyLost):
            waiting.wait()


@pytest.mark.parametrize("queue_exists", [True, False])
def test_a_gateway_proxy_reconnected_to_a_new_reply_queue_ends_its_call_at_once(monkeypatch, queue_exists):
    monkeypatch.setattr(PollingQueueConsumer, "_setup_consumer", lambda self: None)  # the reconnection itself
    listener = reply_queues.FailFastReplyListener(timeout=5)
    consumer = listener.queue_consumer
    consumer.consumer = object()  # it consumed before
    consumer.provider = SimpleNamespace(_reply_events={"corr-1": object()})
    consumer.queue = SimpleNamespace(name="rpc.reply-standalone_rpc_proxy-x")
    consumer.connection = _Broker(queue_exists)
    if queue_exists:
        consumer._setup_consumer()
        assert list(consumer.provider._reply_events) == ["corr-1"]
    else:
        with pytest.raises(reply_queues.ReplyLost):
            consumer._setup_consumer()
        assert consumer.provider._reply_events == {}
