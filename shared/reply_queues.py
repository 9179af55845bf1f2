"""Nameko's RPC reply queues, made to outlive the RabbitMQ cluster node they were declared on.

Nameko 2.14 declares every process's reply queue (`rpc.reply-<service>-<uuid>`) durable, with a
five-minute `x-expires`, so that replies wait out a short reconnection. On a cluster a durable
classic queue lives on the node it was declared on, and while that node is down every declare of
it, from any node, answers 404 "home node ... is down or inaccessible". A service's consumers (its
RPC entrypoints, its event handlers and the reply queue of its RpcProxy dependencies) share one
connection, and kombu declares all of them again at each reconnection: the one reply queue failed
that every time, so the service consumed nothing on any node (the gateway answered `service_down`)
for as long as that node was down, and for good if it never came back. The mirroring policy of
`rpc-`/`evt-` queues does not cover `rpc.reply-` queues, and should not have to: mirroring copies
every reply to every node, is gone from RabbitMQ 4, and would leave a service at the mercy of an
operator's policy.

A non-durable queue is deleted by the cluster when its node goes down, so the declare after the
reconnection creates it on the live node the consumer reached, under the same name and routing key:
calls made from then on get their replies. Replies are transient already (`shared/amqp_costs.py`),
so durability never carried one across a node's restart. What a node's death can take is a reply in
flight at that moment: a consumer that reconnects finds its reply queue gone (a passive declare
answers 404) and ends the calls waiting on it at once with a 503 (`ReplyLost`), the gateway's proxies
through `FailFastReplyListener`, a service's calls through `bounded_reply_waits`, which also bounds
every wait by the caller's deadline (or `UNBOUNDED_CALL_LIMIT_S` without one).
"""

from __future__ import annotations

import logging
import time
import uuid

from amqp.exceptions import ChannelError
from eventlet.event import Event
from kombu import Queue
from nameko import rpc as nameko_rpc
from nameko.messaging import QueueConsumer
from nameko.standalone.rpc import PollingQueueConsumer, SingleThreadedReplyListener

from shared.deadline import context_deadline
from shared.errors import ServiceUnavailable
from shared.logs import log_event

log = logging.getLogger("licheng.rpc")

# A call made without a deadline (an event handler's, a timer's) waits this long for its reply at
# most: far beyond any answer, so only a reply lost with a broker node ends it.
UNBOUNDED_CALL_LIMIT_S = 600.0
# Seconds past the caller's deadline a call still waits (the callee may have taken it just in time).
DEADLINE_GRACE_S = 5.0


def _setup_transient(self) -> None:
    """Nameko 2.14.1's ReplyListener.setup with `durable=False`: the queue must be so when it is registered,
    for a standalone proxy's consumer declares it right then."""
    reply_queue_uuid = uuid.uuid4()
    self.routing_key = str(reply_queue_uuid)
    self.queue = Queue(
        nameko_rpc.RPC_REPLY_QUEUE_TEMPLATE.format(self.container.service_name, reply_queue_uuid),
        exchange=nameko_rpc.get_rpc_exchange(self.container.config),
        routing_key=self.routing_key,
        durable=False,
        queue_arguments={"x-expires": nameko_rpc.RPC_REPLY_QUEUE_TTL},
    )
    self.queue_consumer.register_provider(self)


class ReplyLost(ServiceUnavailable):
    """The reply to a call between services did not come (lost with a broker node, most likely)."""

    code = "reply_lost"


class _BoundedReply(nameko_rpc.RpcReply):
    def __init__(self, reply_event: Event, listener, wait_s: float) -> None:
        super().__init__(reply_event)
        self._listener = listener
        self._wait_s = wait_s

    def result(self):
        if self.resp_body is None:
            body = self.reply_event.wait(timeout=max(self._wait_s, 0.0))
            if body is None:  # timed out (a reply is a dict, never None)
                pending = self._listener._reply_events
                for correlation_id, event in list(pending.items()):
                    if event is self.reply_event:
                        pending.pop(correlation_id, None)
                log_event(log, "rpc reply lost", waited_s=round(self._wait_s, 1))
                raise ReplyLost("服務暫時無法連線，請稍後再試", "the reply of a service did not arrive")
            self.resp_body = body
        return super().result()


def _reply_queue_exists(connection, name: str) -> bool:
    """Asked on a channel of its own: a passive declare of a missing queue closes its channel."""
    channel = connection.channel()
    try:
        channel.queue_declare(queue=name, passive=True)
        return True
    except ChannelError:  # 404: the queue went with its node
        return False
    finally:
        try:
            channel.close()
        except Exception:  # the broker closed it already after the 404
            pass


def _fail_pending(pending: dict) -> None:
    for correlation_id in list(pending):
        event = pending.pop(correlation_id, None)
        if event is not None:
            log_event(log, "rpc reply lost with its queue", correlation_id=correlation_id)
            event.send_exception(_lost())


def _lost() -> ReplyLost:
    return ReplyLost("服務暫時無法連線，請稍後再試", "the reply of a service was lost with a message broker node")


_original_get_consumers = QueueConsumer.get_consumers


def _get_consumers_failing_lost_replies(self, consumer_cls, channel):
    """Called by kombu after every (re)connection of a service's consumers: a reply queue that had to be
    declared anew lost the replies on their way, so the calls waiting for them end now (503), not at
    their deadline."""
    for provider in self._providers:
        if isinstance(provider, nameko_rpc.ReplyListener):
            if getattr(provider, "_licheng_consumed", False) and provider._reply_events:
                if not _reply_queue_exists(channel.connection, provider.queue.name):
                    _fail_pending(provider._reply_events)
            provider._licheng_consumed = True
    return _original_get_consumers(self, consumer_cls, channel)


class _FailFastReplyConsumer(PollingQueueConsumer):
    """A standalone proxy's reply consumer, which reconnects while a call waits: when its reply queue had
    to be declared anew, the reply is lost and the call ends now (503) rather than at its timeout."""

    def _setup_consumer(self) -> None:
        pending = getattr(getattr(self, "provider", None), "_reply_events", None)
        lost = self.consumer is not None and bool(pending) and not _reply_queue_exists(self.connection, self.queue.name)
        super()._setup_consumer()
        if lost:
            for correlation_id in list(pending):
                pending.pop(correlation_id, None)
            log_event(log, "rpc reply lost with its queue")
            raise _lost()


class FailFastReplyListener(SingleThreadedReplyListener):
    """`ClusterRpcProxy(..., reply_listener_cls=FailFastReplyListener)`: see _FailFastReplyConsumer."""

    def __init__(self, timeout=None) -> None:
        super().__init__(timeout=timeout)
        self.queue_consumer = _FailFastReplyConsumer(timeout=timeout)


_original_call = nameko_rpc.MethodProxy._call


def _call_bounded(self, *args, **kwargs):
    reply = _original_call(self, *args, **kwargs)
    if not isinstance(reply.reply_event, Event):
        return reply  # a standalone proxy's reply: its own consumer's timeout bounds the wait
    deadline = context_deadline(self.worker_ctx.data)
    wait_s = UNBOUNDED_CALL_LIMIT_S if deadline is None else deadline - time.time() + DEADLINE_GRACE_S
    return _BoundedReply(reply.reply_event, self.reply_listener, wait_s)


def transient_reply_queues() -> None:
    """Every reply queue this process declares (a service's or a standalone proxy's) is non-durable."""
    nameko_rpc.ReplyListener.setup = _setup_transient


def bounded_reply_waits() -> None:
    """A service's RPC calls to others wait for their reply until the caller's deadline (plus a grace),
    or UNBOUNDED_CALL_LIMIT_S without one, then raise ReplyLost (a 503) instead of waiting forever; and
    at once when their reply queue was lost with its node."""
    nameko_rpc.MethodProxy._call = _call_bounded
    QueueConsumer.get_consumers = _get_consumers_failing_lost_replies
