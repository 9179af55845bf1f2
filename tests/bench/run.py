"""`make bench`: start an isolated system, run every benchmark, write var/bench/*.json."""

from __future__ import annotations

import sys

from tests.bench import bench_backup, bench_certification, bench_evidence, bench_gateway, bench_imports, bench_national, bench_scale
from tests.bench.cpu import CpuMeter, system_pids
from tests.bench.harness import bench_system, write_result


def main(selected: list[str]) -> int:
    with bench_system() as (system, password):
        benches = {
            "rpc": lambda: bench_gateway.bench_rpc(system),
            "gateway-read": lambda: bench_gateway.bench_read_path(system, password),
            "evidence-upload": lambda: bench_evidence.bench_upload(system, password),
            "certification-bulk": bench_certification.bench_bulk_certify,
            "national-drain": lambda: bench_national.bench_drain(system),
            "national-fairness": lambda: bench_national.bench_fairness(system),
            "backup": lambda: bench_backup.bench_backup(system, password),
            # a 2,000-student school built through the API (minutes); alone: `make bench BENCH=scale`
            "scale": lambda: bench_scale.bench_scale(system, password),
            "imports": lambda: bench_imports.bench_imports(system, password),
        }
        for name, bench in benches.items():
            if selected and name not in selected:
                continue
            print(f"== {name}", flush=True)
            meter = CpuMeter(system_pids(system)).start()
            result = bench()
            # national-drain meters each of its runs itself (workers come and go); the rest per bench
            result.setdefault("cpu", meter.stop(int(result.get("operations", 0)), "operation (see operations)"))
            path = write_result(name, result)
            print(path.read_text(encoding="utf-8"), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
