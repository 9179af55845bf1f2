"""A per-process pool of Nameko standalone RPC proxies (never one per request, never one global).

Each proxy holds an AMQP connection and a reply queue; creating one costs several round trips, so
a worker keeps a few and lends one to a request at a time. The caller's identity is written into the
lent proxy's context data, so it travels as Nameko `context_data` with every call made through it.

Every call made through a lent proxy belongs to one deadline (`shared.deadline`):
- the request message expires with it, so RabbitMQ drops what nobody waits for any more, and the
  deadline travels in the context data, so a service that takes the request late refuses it;
- before publishing, the target service must have a consumer on its queue (a passive declare,
  cached for a moment per process): a dead service costs the caller one round trip, not a timeout;
- the reply is awaited until the deadline plus a grace period: a service that took the request in
  time finishes it, and its answer still reaches the caller.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from amqp.exceptions import AMQPError, ChannelError
from kombu.exceptions import OperationalError
from nameko.constants import NON_PERSISTENT as TRANSIENT
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import RPC_QUEUE_TEMPLATE, MethodProxy
from nameko.standalone.rpc import ClusterRpcProxy

import shared.amqp_costs  # noqa: F401  (kombu's per-connection librabbitmq probe, skipped)
from shared.deadline import DEADLINE_KEY, deadline_after, out_of_time, remaining
from shared.errors import LichengError, ServiceUnavailable
from shared.logs import log_event
from shared.outages import backend_away
from shared.reply_queues import FailFastReplyListener, transient_reply_queues

log = logging.getLogger("licheng.rpc")
transient_reply_queues()  # a proxy's reply queue outlives the broker node it was declared on

# How long a "this service has a consumer" answer is trusted; a missing consumer is re-checked sooner.
CONSUMER_CACHE_SECONDS = 2.0
NO_CONSUMER_CACHE_SECONDS = 0.5
# Seconds a caller still waits past the deadline for work a service took before it.
REPLY_GRACE_SECONDS = float(os.environ.get("LICHENG_RPC_GRACE_SECONDS", "5"))


class ServiceDown(ServiceUnavailable):
    """The target service has no running consumer: nothing was sent, nothing will happen."""

    code = "service_down"


class BrokerLost(ServiceUnavailable):
    """The lent proxy's connection broke while asking the broker about consumers; the proxy is dropped."""


class RpcPool:
    def __init__(self, nameko_config: dict, *, size: int, timeout: float, acquire_timeout: float = 10.0) -> None:
        self._config = nameko_config
        self._size = size
        self._timeout = timeout
        self._acquire_timeout = acquire_timeout
        self._lock = threading.Lock()
        self._consumers: dict[str, tuple[float, int]] = {}  # service -> (checked at, consumer count)
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._idle: queue.LifoQueue[ClusterRpcProxy] = queue.LifoQueue()
        self._created = 0
        self._consumers = {}

    def _new_proxy(self) -> ClusterRpcProxy:
        proxy = ClusterRpcProxy(self._config, timeout=self._timeout, reply_listener_cls=FailFastReplyListener)
        proxy.start()
        return proxy

    def _acquire(self) -> ClusterRpcProxy:
        with self._lock:
            if self._pid != os.getpid():  # forked (gunicorn): connections are not ours to share
                self._reset()
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                if self._created < self._size:
                    self._created += 1
                    create = True
                else:
                    create = False
        if create:
            try:
                return self._new_proxy()
            except Exception:
                with self._lock:
                    self._created -= 1
                raise ServiceUnavailable("訊息佇列無法連線", "the message broker cannot be reached") from None
        try:
            return self._idle.get(timeout=self._acquire_timeout)
        except queue.Empty:
            raise ServiceUnavailable("系統忙碌中，請稍後再試", "all RPC connections are busy") from None

    def _discard(self, proxy: ClusterRpcProxy) -> None:
        with self._lock:
            self._created -= 1
        try:
            proxy.stop()
        except Exception:  # a broken connection may fail to close; it is dropped either way
            pass

    def warm_up(self) -> bool:
        """Open one proxy (connection and reply queue) now, so no request is this process's first use of
        the broker; a failure is only logged: the first request tries again and answers 503 if it must."""
        try:
            proxy = self._acquire()
        except ServiceUnavailable:
            log_event(log, "rpc warm-up failed: the broker cannot be reached")
            return False
        self._idle.put(proxy)
        return True

    def consumer_count(self, service: str, proxy: ClusterRpcProxy) -> int:
        """Consumers on the service's RPC queue, asked of the broker at most every couple of seconds."""
        now = time.monotonic()
        with self._lock:
            cached = self._consumers.get(service)
        # a proxy that sat idle is asked itself: its broker node may have gone meanwhile, and that is
        # found now, before anything is sent, rather than after, while waiting for the reply
        if cached is not None and now - getattr(proxy, "_licheng_checked_at", 0.0) > CONSUMER_CACHE_SECONDS:
            cached = None
        if cached is not None:
            checked, count = cached
            if now - checked < (CONSUMER_CACHE_SECONDS if count else NO_CONSUMER_CACHE_SECONDS):
                return count
        try:
            channel = proxy._reply_listener.queue_consumer.connection.channel()
        except Exception:
            raise BrokerLost("服務暫時無法連線", "the message broker connection was lost") from None
        try:
            count = channel.queue_declare(queue=RPC_QUEUE_TEMPLATE.format(service), passive=True).consumer_count
        except ChannelError:  # no such queue: the service never ran on this broker
            count = 0
        except Exception:
            raise BrokerLost("服務暫時無法連線", "the message broker connection was lost") from None
        finally:
            try:
                channel.close()
            except Exception:  # the broker closes the channel itself after a failed passive declare
                pass
        with self._lock:
            self._consumers[service] = (time.monotonic(), count)
        proxy._licheng_checked_at = time.monotonic()
        return count

    def replace(self, dead: ClusterRpcProxy) -> ClusterRpcProxy:
        """A fresh proxy (a new connection, so a node that is up) in place of one whose connection broke
        before anything was sent on it; its context data moves along. 503 when none can be opened."""
        data = dict(dead._worker_ctx.data)
        self._discard(dead)
        with self._lock:
            self._created += 1
        try:
            fresh = self._new_proxy()
        except Exception:
            with self._lock:
                self._created -= 1
            raise ServiceUnavailable("訊息佇列無法連線", "the message broker cannot be reached") from None
        fresh._worker_ctx.data.update(data)
        return fresh

    def forget_consumers(self, service: str) -> None:
        with self._lock:
            self._consumers.pop(service, None)

    @contextmanager
    def rpc(self, context: dict[str, str], *, deadline: float | None = None) -> Iterator[DeadlineClusterProxy]:
        """Lend a proxy whose calls all end at `deadline` (epoch seconds; default: the pool's timeout from now)."""
        deadline = deadline if deadline is not None else deadline_after(self._timeout)
        proxy = self._acquire()
        data = proxy._worker_ctx.data  # nameko keeps context_data here; the proxy is ours alone now
        data.clear()
        data.update({k: v for k, v in context.items() if v})
        lent = DeadlineClusterProxy(self, proxy, deadline)
        healthy = False
        try:
            yield lent
            healthy = True
        except BrokerLost:
            raise
        except LichengError:
            healthy = True  # an error came back over a working connection
            raise
        except RemoteError as exc:
            healthy = True
            if backend_away(exc):
                raise ServiceUnavailable("資料庫暫時無法使用，請稍後再試", "a database behind the service is unavailable") from None
            raise
        except UnknownService as exc:
            healthy = True
            self.forget_consumers(str(exc))
            raise ServiceDown("服務尚未啟動", f"service {exc} is not running") from None
        except RpcTimeout:
            log_event(log, "rpc timed out", request_id=context.get("request_id", ""))
            raise ServiceUnavailable("服務回應逾時，請稍後再試", "a service did not answer in time") from None
        except (ConnectionError, OSError, AMQPError, OperationalError):
            # also a broker node that died under the proxy: its reply queue lived there, so the
            # proxy is dropped and the next request gets a new one on a node that is up
            raise ServiceUnavailable("服務暫時無法連線", "a service cannot be reached") from None
        finally:
            proxy = lent._proxy  # a broken connection may have been replaced while lent
            proxy._worker_ctx.data.clear()
            if healthy:
                self._idle.put(proxy)
            else:
                self._discard(proxy)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                return


class DeadlineClusterProxy:
    """`proxy.<service>.<method>(...)`, like Nameko's ClusterProxy, with every call bound to one deadline."""

    def __init__(self, pool: RpcPool, proxy: ClusterRpcProxy, deadline: float) -> None:
        self._pool = pool
        self._proxy = proxy
        self.deadline = deadline

    def __getattr__(self, service: str) -> _DeadlineServiceProxy:
        if service.startswith("_"):
            raise AttributeError(service)
        return _DeadlineServiceProxy(self, service)

    def __getitem__(self, service: str) -> _DeadlineServiceProxy:
        return _DeadlineServiceProxy(self, service)

    def renew(self) -> None:
        self._proxy = self._pool.replace(self._proxy)


class _DeadlineServiceProxy:
    def __init__(self, cluster: DeadlineClusterProxy, service: str) -> None:
        self._cluster = cluster
        self._service = service

    def __getattr__(self, method: str) -> _DeadlineMethodProxy:
        if method.startswith("_"):
            raise AttributeError(method)
        proxy = self._cluster._proxy
        return _DeadlineMethodProxy(self._cluster, proxy._worker_ctx, self._service, method, proxy._reply_listener)


class _DeadlineMethodProxy(MethodProxy):
    def __init__(self, cluster: DeadlineClusterProxy, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cluster = cluster

    def _call(self, *args, **kwargs):
        cluster = self._cluster
        left = remaining(cluster.deadline)
        if left <= 0:
            raise out_of_time()
        try:
            consumers = cluster._pool.consumer_count(self.service_name, cluster._proxy)
        except BrokerLost:
            # An idle proxy's broker node went away (a cluster node killed or restarted). Nothing has been
            # sent yet, so the call goes out once more on a fresh connection; a second loss answers 503.
            cluster.renew()
            fresh = cluster._proxy
            again = _DeadlineMethodProxy(cluster, fresh._worker_ctx, self.service_name, self.method_name, fresh._reply_listener)
            return again._call_checked(*args, **kwargs)
        return self._publish_checked(consumers, *args, **kwargs)

    def _call_checked(self, *args, **kwargs):
        return self._publish_checked(self._cluster._pool.consumer_count(self.service_name, self._cluster._proxy), *args, **kwargs)

    def _publish_checked(self, consumers: int, *args, **kwargs):
        cluster = self._cluster
        left = remaining(cluster.deadline)
        if left <= 0:
            raise out_of_time()
        if consumers == 0:
            log_event(log, "service has no consumer", service=self.service_name)
            raise ServiceDown("服務暫時停止，請稍後再試", f"service {self.service_name} is not running")
        self.worker_ctx.data[DEADLINE_KEY] = f"{cluster.deadline:.3f}"
        self.publisher.expiration = left  # kombu sends it in milliseconds; RabbitMQ drops the message then
        # A request lives no longer than its caller waits: it is not written to disk (a persistent message
        # is confirmed only after an fsync, which a busy disk can stretch to many seconds per call).
        self.publisher.delivery_mode = TRANSIENT
        self.reply_listener.queue_consumer.timeout = left + REPLY_GRACE_SECONDS
        return super()._call(*args, **kwargs)
