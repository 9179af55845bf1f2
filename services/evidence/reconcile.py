"""Reconcile the store with the records, for every school or the named ones.

    python -m services.evidence.reconcile [--repair] [--sweep] [--scrub] [SCHOOL ...]

Prints one JSON report per school and exits 1 when anything needs attention (records whose
objects are missing, scrub mismatches). The same reports are the registrar's tools in the API.
"""

from __future__ import annotations

import argparse
import json
import sys

from services.evidence import maintenance
from services.evidence.config import EvidenceConfig
from services.evidence.storage import Storage
from services.evidence.store import EvidenceStore
from shared.clock import utcnow
from shared.config import load_settings
from shared.mongo import make_client


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.evidence.reconcile", description=__doc__.splitlines()[0])
    parser.add_argument("schools", nargs="*", help="school codes (default: every school with evidence)")
    parser.add_argument("--repair", action="store_true", help="repair what is safe to repair")
    parser.add_argument("--sweep", action="store_true", help="also sweep abandoned uploads")
    parser.add_argument("--scrub", action="store_true", help="also re-verify every file's SHA-256")
    args = parser.parse_args(argv)
    settings = load_settings()
    config = EvidenceConfig()
    client = make_client(settings)
    try:
        store = EvidenceStore(client[settings.database_name("evidence")])
        storage = Storage(settings, config)
        storage.ensure_bucket()
        trouble = False
        for school in args.schools or store.schools():
            now = utcnow()
            report: dict = {"school_id": school}
            if args.sweep:
                report["sweep"] = maintenance.sweep(store, storage, school, now, config).model_dump(mode="json")
            rec = maintenance.reconcile(store, storage, school, now, config, repair=args.repair)
            report["reconcile"] = rec.model_dump(mode="json")
            trouble |= bool(rec.records_without_objects or rec.needs_attention)
            if args.scrub:
                scrub = maintenance.scrub(store, storage, school, now)
                report["scrub"] = scrub.model_dump(mode="json")
                trouble |= bool(scrub.mismatches or scrub.missing)
            print(json.dumps(report, ensure_ascii=False))
        return 1 if trouble else 0
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
