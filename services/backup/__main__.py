"""`python -m services.backup backup | verify ID | restore ID [--force] | list | prune`.

`make backup` and `make restore BACKUP=ID` call this; a production scheduler runs `backup` (see
deploy/backup.cron). Every run is verified after it is written and recorded for the registrar.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from services.backup import engine
from services.backup.manifest import keep
from services.backup.runs import BackupRuns
from shared.clock import utcnow
from shared.config import load_settings
from shared.mongo import make_client
from shared.s3 import make_s3_client


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.backup")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("backup")
    sub.add_parser("list")
    sub.add_parser("prune")
    for name in ("verify", "restore"):
        command = sub.add_parser(name)
        command.add_argument("backup_id", nargs="?", help="default: the newest backup")
        if name == "restore":
            command.add_argument("--force", action="store_true", help="restore into a system that is not empty")
    args = parser.parse_args(argv)

    settings = load_settings()
    root = Path(settings.backup_dir)
    root.mkdir(parents=True, exist_ok=True)
    client = make_client(settings)
    s3 = make_s3_client(settings)
    runs = BackupRuns(client[f"{settings.db_prefix}_{engine.BACKUP_DB_SUFFIX}"])
    try:
        if args.command == "backup":
            started = utcnow()
            t0 = time.perf_counter()
            manifest = engine.backup(client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root)
            seconds = round(time.perf_counter() - t0, 2)
            report = engine.verify(root, manifest.backup_id)
            runs.record(
                {
                    "backup_id": manifest.backup_id,
                    "started_at": started,
                    "finished_at": utcnow(),
                    "ok": True,
                    "verified": report.ok,
                    "problems": report.problems,
                    "seconds": seconds,
                    **manifest.totals(),
                    "bytes_written": manifest.bytes_written,
                    "objects_reused": manifest.objects_reused,
                }
            )
            print(
                json.dumps(
                    {
                        "backup_id": manifest.backup_id,
                        "seconds": seconds,
                        "verified": report.ok,
                        **manifest.totals(),
                        "bytes_written": manifest.bytes_written,
                        "objects_reused": manifest.objects_reused,
                    },
                    ensure_ascii=False,
                )
            )
            return 0 if report.ok else 1
        if args.command == "list":
            print(json.dumps(engine.list_backups(root), ensure_ascii=False, indent=1))
            return 0
        if args.command == "prune":
            entries = [{"backup_id": b["backup_id"], "created_epoch": _epoch(b["created_at"])} for b in engine.list_backups(root)]
            kept, dropped = keep(entries, count=settings.backup_keep_count, max_age_days=settings.backup_keep_days, now_epoch=time.time())
            for backup_id in dropped:
                engine.remove_backup(root, backup_id)
            print(json.dumps({"kept": kept, "dropped": dropped}))
            return 0
        backup_id = args.backup_id or _newest(root)
        if args.command == "verify":
            report = engine.verify(root, backup_id)
            print(json.dumps({"backup_id": backup_id, "ok": report.ok, "problems": report.problems, **report.checked}, ensure_ascii=False))
            return 0 if report.ok else 1
        t0 = time.perf_counter()
        result = engine.restore(
            client, s3, root=root, backup_id=backup_id, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, force=args.force
        )
        result["seconds"] = round(time.perf_counter() - t0, 2)
        print(json.dumps({k: v for k, v in result.items() if k != "version_map"} | {"versions_remapped": len(result["version_map"])}))
        return 0
    except engine.BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _newest(root: Path) -> str:
    backups = engine.list_backups(root)
    if not backups:
        raise SystemExit("backup: no backups yet")
    return backups[0]["backup_id"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
