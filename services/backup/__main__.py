"""`python -m services.backup backup | verify ID | restore ID [--force] | list | prune | purge SCHOOL`.

`make backup` and `make restore BACKUP=ID` call this; a production scheduler runs `backup` (see
deploy/backup.cron). Every run is verified after it is written and recorded for the registrar. With
LICHENG_BACKUP_S3_BUCKET set, every backup is also copied to that bucket (another store when
LICHENG_BACKUP_S3_ENDPOINT is set), and `verify`/`restore --from-s3` fetch a backup back from it.
`purge SCHOOL [--run] [--student ID ...]` is the archive's retention purge (a dry run unless --run),
through the running services like the registrar's API route.
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
from shared.s3 import make_backup_s3_client, make_s3_client


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.backup")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("backup")
    sub.add_parser("list").add_argument("--s3", action="store_true", help="list the copies in the backup bucket")
    sub.add_parser("prune")
    for name in ("verify", "restore"):
        command = sub.add_parser(name)
        command.add_argument("backup_id", nargs="?", help="default: the newest backup")
        command.add_argument("--from-s3", action="store_true", help="fetch the backup from the backup bucket first")
        if name == "restore":
            command.add_argument("--force", action="store_true", help="restore into a system that is not empty")
    purge = sub.add_parser("purge")
    purge.add_argument("school", help="school code")
    purge.add_argument("--run", action="store_true", help="really purge (default: a dry run that only lists)")
    purge.add_argument("--student", action="append", default=None, help="only this student (repeatable)")
    args = parser.parse_args(argv)

    settings = load_settings()
    if args.command == "purge":
        return _purge(settings, args.school, args.run, args.student)
    root = Path(settings.backup_dir)
    root.mkdir(parents=True, exist_ok=True)
    client = make_client(settings)
    s3 = make_s3_client(settings)
    runs = BackupRuns(client[f"{settings.db_prefix}_{engine.BACKUP_DB_SUFFIX}"])
    try:
        if args.command == "backup":
            started = utcnow()
            t0 = time.perf_counter()
            bucket = settings.backup_s3_bucket
            manifest = engine.backup(
                client, s3, db_prefix=settings.db_prefix, bucket_prefix=settings.bucket_prefix, root=root, exclude=frozenset({bucket})
            )
            seconds = round(time.perf_counter() - t0, 2)
            report = engine.verify(root, manifest.backup_id)
            copy: dict = {}
            if bucket and report.ok:
                t1 = time.perf_counter()
                copy = {"bucket": bucket, **engine.upload_to_s3(make_backup_s3_client(settings), bucket, root, manifest.backup_id)}
                copy["seconds"] = round(time.perf_counter() - t1, 2)
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
                    "s3_copy": copy or None,
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
                        "backup_bytes": _size(root / manifest.backup_id),
                        "s3_copy": copy or None,
                    },
                    ensure_ascii=False,
                )
            )
            return 0 if report.ok else 1
        if args.command == "list":
            if args.s3:
                print(json.dumps(engine.list_s3_backups(make_backup_s3_client(settings), _bucket(settings)), indent=1))
            else:
                print(json.dumps(engine.list_backups(root), ensure_ascii=False, indent=1))
            return 0
        if args.command == "prune":
            entries = [{"backup_id": b["backup_id"], "created_epoch": _epoch(b["created_at"])} for b in engine.list_backups(root)]
            kept, dropped = keep(entries, count=settings.backup_keep_count, max_age_days=settings.backup_keep_days, now_epoch=time.time())
            for backup_id in dropped:
                engine.remove_backup(root, backup_id)
            print(json.dumps({"kept": kept, "dropped": dropped}))
            return 0
        if args.from_s3:
            target = make_backup_s3_client(settings)
            backup_id = args.backup_id or next(iter(engine.list_s3_backups(target, _bucket(settings))), None)
            if backup_id is None:
                raise SystemExit("backup: no backups in the bucket")
            engine.fetch_from_s3(target, _bucket(settings), backup_id, root)
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


def _bucket(settings) -> str:
    if not settings.backup_s3_bucket:
        raise SystemExit("backup: set LICHENG_BACKUP_S3_BUCKET to use the backup bucket")
    return settings.backup_s3_bucket


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _purge(settings, school: str, run: bool, students: list[str] | None) -> int:
    """The retention purge through the running services, as the system caller (audited as `system`)."""
    from nameko.standalone.rpc import ClusterRpcProxy

    from services.registry import import_error_modules
    from shared.caller import Caller
    from shared.errors import LichengError

    import_error_modules()
    payload: dict = {"dry_run": not run}
    if students:
        payload["student_ids"] = students
    with ClusterRpcProxy(settings.nameko_config(), context_data=Caller.system().to_context(), timeout=3600) as proxy:
        try:
            report = proxy.backup.purge(payload, school)
            while report["status"] in ("queued", "running"):  # a real purge runs in the service: follow it
                time.sleep(1)
                report = proxy.backup.get_purge(report["purge_id"], school)
        except LichengError as exc:
            print(f"purge: {exc.detail or exc.title} ({exc.detail_en or exc.title_en})", file=sys.stderr)
            return 1
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0 if report["status"] == "done" else 1


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _newest(root: Path) -> str:
    backups = engine.list_backups(root)
    if not backups:
        raise SystemExit("backup: no backups yet")
    return backups[0]["backup_id"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
