"""What an RPC request looks like on the real broker: transient, expiring with its caller's deadline,
the deadline in its Nameko context headers; and no message at all for a service without a consumer."""

from __future__ import annotations

import socket
import threading

import pytest
from kombu import Connection, Exchange, Queue

from shared.deadline import DEADLINE_KEY, deadline_after
from shared.rpc_pool import RpcPool, ServiceDown

EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)


@pytest.fixture
def amqp_uri(system) -> str:
    return system.settings().amqp_uri


def answered_once(amqp_uri: str, queue: Queue, call) -> list:
    """Runs `call` in a thread while a stand-in service on `queue` takes its requests and answers the
    first with "pong"; returns every request that arrived."""
    seen: list = []
    with Connection(amqp_uri) as connection:
        with connection.Consumer(queue, callbacks=[lambda body, message: seen.append(message)], accept=["json"]):
            caller = threading.Thread(target=call)
            caller.start()
            while not seen:
                connection.drain_events(timeout=10)
            request = seen[0]
            request.ack()
            connection.Producer(serializer="json").publish(
                {"result": "pong", "error": None},
                exchange=EXCHANGE,
                routing_key=request.properties["reply_to"],
                correlation_id=request.properties["correlation_id"],
            )
            caller.join(timeout=20)
    return seen


def test_a_request_is_transient_expires_with_its_deadline_and_carries_it(amqp_uri):
    pool = RpcPool({"AMQP_URI": amqp_uri, "serializer": "json"}, size=1, timeout=5)
    answers = []
    deadline = deadline_after(4)

    def call() -> None:
        with pool.rpc({"request_id": "probe-request"}, deadline=deadline) as services:
            answers.append(services.probe.ping())

    request = answered_once(amqp_uri, Queue("rpc-probe", EXCHANGE, routing_key="probe.*", auto_delete=True), call)[0]
    properties, headers = request.properties, request.headers
    assert request.delivery_info["routing_key"] == "probe.ping"
    assert properties["delivery_mode"] == 1  # transient: never written to disk
    assert 0 < int(properties["expiration"]) <= 4000  # milliseconds left when it was sent
    assert float(headers[f"nameko.{DEADLINE_KEY}"]) == pytest.approx(deadline, abs=0.01)
    assert headers["nameko.request_id"] == "probe-request"
    assert answers == ["pong"]
    pool.close()


def test_no_consumer_means_no_message_and_a_fast_refusal(amqp_uri):
    pool = RpcPool({"AMQP_URI": amqp_uri, "serializer": "json"}, size=1, timeout=5)
    queue = Queue("rpc-idle", EXCHANGE, routing_key="idle.*", durable=True)
    with Connection(amqp_uri) as connection:
        queue(connection.default_channel).declare()  # the queue of a service that ran once and died
        try:
            with pytest.raises(ServiceDown), pool.rpc({"request_id": "r"}) as services:
                services.idle.anything()
            assert queue(connection.default_channel).queue_declare(passive=True).message_count == 0
            with pytest.raises(ServiceDown), pool.rpc({"request_id": "r"}) as services:
                services.never_ran.anything()
        finally:
            queue(connection.default_channel).delete()
    pool.close()


def test_an_idle_proxy_whose_connection_broke_is_replaced_before_anything_is_sent(amqp_uri):
    """A broker node killed under an idle proxy (a cluster node restarted) costs its next caller nothing:
    the break is found before publishing, and the call goes out once on a fresh connection."""
    pool = RpcPool({"AMQP_URI": amqp_uri, "serializer": "json"}, size=1, timeout=5)
    assert pool.warm_up()
    idle = pool._idle.get_nowait()
    idle._reply_listener.queue_consumer.connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)
    idle._licheng_checked_at = 0.0  # it sat idle: it is asked before use
    pool._idle.put(idle)
    answers = []

    def call() -> None:
        with pool.rpc({"request_id": "after-break"}) as services:
            answers.append(services.echo.ping())

    seen = answered_once(amqp_uri, Queue("rpc-echo", EXCHANGE, routing_key="echo.*", auto_delete=True), call)
    assert answers == ["pong"] and len(seen) == 1  # answered, and sent exactly once
    assert pool._idle.qsize() == 1 and pool._created == 1  # the broken proxy is gone, its replacement kept
    pool.close()
