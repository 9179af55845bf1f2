"""`make bench`: start an isolated system, run every benchmark, write var/bench/*.json."""

from __future__ import annotations

import secrets
import sys

from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from shared.mongo import make_client
from tests.bench import bench_certification, bench_evidence, bench_gateway
from tests.bench.harness import write_result
from tests.support.system import TestSystem


def main(selected: list[str]) -> int:
    system = TestSystem()
    system.start()
    try:
        settings = system.settings()
        client = make_client(settings)
        password = secrets.token_urlsafe(12)
        ensure_district_admin(IdentityStore(client[settings.database_name("identity")]), "district", password)
        client.close()
        benches = {
            "rpc": lambda: bench_gateway.bench_rpc(system),
            "gateway-read": lambda: bench_gateway.bench_read_path(system, password),
            "evidence-upload": lambda: bench_evidence.bench_upload(system, password),
            "certification-bulk": bench_certification.bench_bulk_certify,
        }
        for name, bench in benches.items():
            if selected and name not in selected:
                continue
            print(f"== {name}", flush=True)
            path = write_result(name, bench())
            print(path.read_text(encoding="utf-8"), flush=True)
    finally:
        system.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
