"""A per-process pool of Nameko standalone RPC proxies (never one per request, never one global).

Each proxy holds an AMQP connection and a reply queue; creating one costs several round trips, so
a worker keeps a few and lends one to a request at a time. The caller's identity is written into the
lent proxy's context data, so it travels as Nameko `context_data` with every call made through it.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy

from shared.errors import LichengError, ServiceUnavailable
from shared.outages import backend_away


class RpcPool:
    def __init__(self, nameko_config: dict, *, size: int, timeout: float, acquire_timeout: float = 10.0) -> None:
        self._config = nameko_config
        self._size = size
        self._timeout = timeout
        self._acquire_timeout = acquire_timeout
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._idle: queue.LifoQueue[ClusterRpcProxy] = queue.LifoQueue()
        self._created = 0

    def _new_proxy(self) -> ClusterRpcProxy:
        proxy = ClusterRpcProxy(self._config, timeout=self._timeout)
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

    @contextmanager
    def rpc(self, context: dict[str, str]) -> Iterator[ClusterProxy]:
        proxy = self._acquire()
        data = proxy._worker_ctx.data  # nameko keeps context_data here; the proxy is ours alone now
        data.clear()
        data.update({k: v for k, v in context.items() if v})
        healthy = False
        try:
            yield proxy._proxy
            healthy = True
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
            raise ServiceUnavailable("服務尚未啟動", f"service {exc} is not running") from None
        except RpcTimeout:
            raise ServiceUnavailable("服務回應逾時，請稍後再試", "a service did not answer in time") from None
        except (ConnectionError, OSError, AMQPError, OperationalError):
            # also a broker node that died under the proxy: its reply queue lived there, so the
            # proxy is dropped and the next request gets a new one on a node that is up
            raise ServiceUnavailable("服務暫時無法連線", "a service cannot be reached") from None
        finally:
            data.clear()
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
