"""Records: one set of routes per record type of the division table (list, save, get, replace, delete, import, export).

Routes are declared in a loop over services.records.division.TYPES, each with its own permission and
body model, so the OpenAPI document and the permission tests see every one of them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from flask import Blueprint, g, jsonify, request

from gateway.downloads import xlsx_response
from gateway.endpoints import ACADEMIC_YEAR_SCHEMA, QueryParam, endpoint
from gateway.import_jobs import job_response
from gateway.services import FILE_BUILD_SECONDS, rpc
from gateway.staff_columns import resolve_staff
from gateway.uploads import uploaded_job_file
from services.records.division import TYPES, RecordType
from services.records.schemas import Coverage, ImportReport, RecordList, SaveResult
from shared.tabular import JOB_MAX_ROWS

bp = Blueprint("records_units", __name__, url_prefix="/api/v1/records")

FILTERS = {
    "year": "學年度",
    "term": "學期",
    "student_id": "學號",
    "class_code": "班級",
    "course_code": "課程代碼",
    "category": "多元表現類別",
    "status": "狀態",
    "unchecked": "students only: 115-1 lists students not yet re-checked that semester",
    "archived": "students only: include | only (default: students still at school; 畢業/轉出 are archived)",
    "sort": "排序欄位，遞減加 - (e.g. -score); a whole school's list is ordered across every class",
    "page": "page",
    "per_page": "page size (at most 10000)",
}


def _filters() -> dict[str, str]:
    return {k: v for k, v in request.args.items() if k in FILTERS and k not in ("page", "per_page")}


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


EXPORT_PAGE = 5000  # rows a call: a whole school's grades (30,000) are six list calls, each one read by partitions
EXPORT_ROWS = 200_000  # an export stops here (far above a school's term)
EXPORT_AHEAD = 2  # pages read ahead while one is written


def _every_row(services, key: str, filters: dict[str, str]) -> Iterator[dict]:
    """Every row of the list, page after page, as the spreadsheet is written (not all held first).

    The next pages are asked for before this one is written (EXPORT_AHEAD in flight): the records
    service and the database read them while the gateway writes cells, on the machine's other core."""
    first = services.records.list_records(key, filters, 1, EXPORT_PAGE, names=False)
    pages = -(-min(first["total"], EXPORT_ROWS) // EXPORT_PAGE)
    ask = services.records.list_records.call_async
    asked = deque(ask(key, filters, n, EXPORT_PAGE, names=False) for n in range(2, min(pages, 1 + EXPORT_AHEAD) + 1))
    following = 2 + len(asked)
    try:
        yield from first["items"]
        while asked:
            data = asked.popleft().result()
            if following <= pages:
                asked.append(ask(key, filters, following, EXPORT_PAGE, names=False))
                following += 1
            yield from data["items"]
    finally:
        for reply in asked:  # replies still on their way are taken, so the pooled proxy holds none of them
            reply.result()


def _routes(t: RecordType) -> None:
    key = t.key

    def named(fn: Callable, name: str) -> Callable:
        fn.__name__ = f"{key}_{name}"
        return fn

    def list_view():
        with rpc() as services:
            return jsonify(services.records.list_records(key, _filters(), _int_arg("page", 1), _int_arg("per_page", 50)))

    endpoint(bp, f"/{key}", "GET", summary=f"{t.label}列表 / list {key}", permission=t.read, response=RecordList, query=FILTERS)(
        named(list_view, "list")
    )

    if t.countable:

        def coverage_view():
            with rpc() as services:
                return jsonify(services.records.coverage(key, request.args.get("year"), request.args.get("term")))

        endpoint(
            bp,
            f"/{key}/coverage",
            "GET",
            summary=f"{t.label}登錄進度（已登錄學生數／在學學生數，分班）/ {key} coverage",
            permission=t.read,
            response=Coverage,
            query={
                "year": QueryParam("學年度 (with term; both left out: the current semester)", ACADEMIC_YEAR_SCHEMA),
                "term": QueryParam("學期 1 or 2 (semester records)", {"type": "integer", "enum": [1, 2]}),
            },
        )(named(coverage_view, "coverage"))

    def save_view():
        with rpc() as services:
            result = services.records.save_record(key, g.body.model_dump(mode="json", exclude_unset=True))
        return jsonify(result), (201 if result["created"] else 200)

    endpoint(
        bp,
        f"/{key}",
        "POST",
        summary=f"新增或更新{t.label}（依自然鍵）/ save {key}",
        permission=t.write,
        body=t.model,
        response=SaveResult,
        status=201,
    )(named(save_view, "save"))

    def export_view():
        columns = [(("national_id_masked" if n == "national_id" else n), label) for n, label in t.columns]
        with rpc() as services:
            return xlsx_response(t.label, [*columns, ("updated_at", "最後更新")], _every_row(services, key, _filters()), f"{key}.xlsx")

    endpoint(
        bp,
        f"/{key}/export.xlsx",
        "GET",
        summary=f"匯出{t.label}（XLSX）/ export {key}",
        permission=t.read,
        query=FILTERS,
        timeout=FILE_BUILD_SECONDS,
    )(named(export_view, "export"))

    if t.importable:

        def import_view():
            import_id = request.form.get("import_id") or request.args.get("import_id") or None
            rows, sha256 = uploaded_job_file()
            with rpc() as services:
                rows = resolve_staff(key, rows, services.identity.staff_ids_by_username)
                job = services.records.start_import(key, rows, import_id, sha256)

            def poll() -> dict:
                with rpc(timeout=5) as services:
                    return services.records.get_import(job["import_id"])

            return job_response(job, poll)

        endpoint(
            bp,
            f"/{key}/import",
            "POST",
            summary=f"批次匯入{t.label}（CSV/XLSX，最多 {JOB_MAX_ROWS} 列；背景工作，有錯不匯入）/ import {key} as a job",
            permission=t.write,
            multipart=True,
            response=ImportReport,
            status=202,
            other_statuses={
                200: "the same file (same bytes) imported before: nothing done (already_imported); or Prefer: wait=N and the job done",
                422: "with Prefer: wait=N: the job rejected the file (errors per row; nothing imported)",
            },
            query={"import_id": "optional client-chosen id to poll GET /api/v1/records/imports/<import_id>; sent again, the first report"},
            job_id_field="import_id",
        )(named(import_view, "import"))

    def get_view(record_id: str):
        with rpc() as services:
            return jsonify(services.records.get_record(key, record_id))

    endpoint(bp, f"/{key}/<record_id>", "GET", summary=f"{t.label} / one {key}", permission=t.read)(named(get_view, "get"))

    def put_view(record_id: str):
        with rpc() as services:
            return jsonify(services.records.replace_record(key, record_id, g.body.model_dump(mode="json", exclude_unset=True)))

    endpoint(bp, f"/{key}/<record_id>", "PUT", summary=f"修改{t.label} / replace {key}", permission=t.write, body=t.model)(
        named(put_view, "put")
    )

    def delete_view(record_id: str):
        with rpc() as services:
            services.records.delete_record(key, record_id)
        return "", 204

    endpoint(bp, f"/{key}/<record_id>", "DELETE", summary=f"刪除{t.label} / delete {key}", permission=t.write, status=204)(
        named(delete_view, "delete")
    )


for _type in TYPES.values():
    _routes(_type)
