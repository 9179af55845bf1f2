"""Records' MongoDB repository: one collection per record type, all through SchoolCollection.

The modules above describe documents with `query.Where` / `query.Visible`; this module alone turns
them into MongoDB filters and updates, so no MongoDB operator appears outside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo import InsertOne, UpdateMany, UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.records import rules
from services.records.division import TYPES, RecordType
from services.records.errors import RecordExists
from services.records.figure_store import PartitionFigures
from services.records.list_store import (
    BIG_LIST,
    PARTITION,
    PARTITIONED,
    Partition,
    SortedOrders,
    Tallies,
    natural_order,
    order_rows,
    page_by_partitions,
    partition_of,
)
from services.records.partition_store import SemesterPartitions
from services.records.query import ABSENT, EVERYTHING, NoneOf, OneOf, Visible, Where
from services.records.snapshot_store import PartitionSnapshots
from shared.audit_store import AuditTrail
from shared.mongo import bulk_write_bounded, bulk_write_side_by_side
from shared.tenancy import SchoolCollection

# Students still here (not 畢業/轉出).
STILL_HERE: Where = {"status": NoneOf(rules.ARCHIVED_STATUSES)}
ARCHIVED: Where = {"status": OneOf(rules.ARCHIVED_STATUSES)}
ENROLLED: Where = {"status": OneOf(rules.ACTIVE_STATUSES)}


_PART_FIELDS = {"year": 1, "term": 1, "student_id": 1, PARTITION: 1}


def _student(doc: dict[str, Any]) -> Any:
    return doc.get("student_id")


def classes_of(students: list[dict[str, Any]]) -> dict[str, str]:
    """Each student's class, from student documents that carry `class_code`."""
    return {d["student_id"]: d.get("class_code") or "" for d in students}


def _mongo(where: Where | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (where or {}).items():
        if isinstance(value, OneOf) and len(value.values) == 1:
            out[name] = value.values[0]  # an equality FerretDB hands to PostgreSQL; `$in` it evaluates itself over every row
        elif isinstance(value, OneOf):
            out[name] = {"$in": list(value.values)}
        elif isinstance(value, NoneOf):
            out[name] = {"$nin": list(value.values)}
        elif value is ABSENT:
            out[name] = {"$exists": False}
        else:
            out[name] = value
    return out


def _within(where: Where | None, visible: Visible) -> dict[str, Any]:
    """`where`, limited to what is visible."""
    query = _mongo(where)
    if visible.alternatives is None:
        return query
    if not visible.alternatives:
        return {"$and": [query, {"_id": {"$in": []}}]} if query else {"_id": {"$in": []}}
    alternatives = [_mongo(a) for a in visible.alternatives]
    limit = alternatives[0] if len(alternatives) == 1 else {"$or": alternatives}
    # `where`'s fields stay at the top: FerretDB hands only top-level equalities to PostgreSQL
    return {**query, "$and": [limit]} if query else limit


class RecordsStore(SemesterPartitions):
    def __init__(self, db: Database) -> None:
        self.db = db
        self.records = {key: SchoolCollection(db[key]) for key in TYPES}
        self.semesters = SchoolCollection(db["semesters"])
        self.reopenings = SchoolCollection(db["reopenings"])
        self.statements = SchoolCollection(db["statements"])
        self.imports = SchoolCollection(db["imports"])
        self.audit = AuditTrail(SchoolCollection(db["audit"]))
        self.tallies = Tallies(SchoolCollection(db["list_tallies"]), self.records)
        self.snapshots = PartitionSnapshots(SchoolCollection(db["list_snapshots"]), self.records, self.tallies.ensure_epoch)
        self.sorted_orders = SortedOrders(self.records, self.snapshots.rows)
        self.figures = PartitionFigures(
            SchoolCollection(db["list_figures"]), lambda school, key, part: self.snapshots.rows(school, key, part, natural_order(key))
        )

    def ensure_indexes(self) -> None:
        for key, type_ in TYPES.items():
            coll = self.records[key]
            if type_.natural_key:
                coll.create_index([(k, 1) for k in type_.natural_key], unique=True, name="natural_key")
            if type_.semester:
                coll.create_index([("year", 1), ("term", 1)])
            for single in {type_.student_field, type_.owner_field} - {None}:
                if type_.natural_key != (single,):  # the same keys under another name would conflict
                    coll.create_index([(single, 1)])
        for key in PARTITIONED:
            self.records[key].create_index([(PARTITION, 1)])
        self.tallies.coll.create_index([("type", 1)])
        self.snapshots.coll.create_index([("type", 1)])
        self.figures.coll.create_index([("type", 1)])
        self.records["students"].create_index([("national_id_hash", 1)], unique=True, name="national_id_unique")
        self.records["students"].create_index([("class_code", 1), ("seat_no", 1)])
        self.records["classes"].create_index([("homeroom_teacher_id", 1)])
        self.records["courses"].create_index([("teacher_ids", 1)])
        self.records["performances"].create_index([("student_id", 1), ("source_key", 1)], unique=True, name="performance_source")
        self.semesters.create_index([("semester_id", 1)], unique=True)
        self.reopenings.create_index([("semester_id", 1), ("record_type", 1), ("student_id", 1)])
        self.statements.create_index([("student_id", 1), ("kind", 1), ("version", -1)], unique=True)
        self.imports.create_index([("import_id", 1)], unique=True)
        self.audit.ensure_indexes()

    def ping(self) -> None:
        self.db.command("ping")

    # --- any record type -----------------------------------------------------------------------

    def find(
        self,
        key: str,
        school_id: str,
        where: Where | None = None,
        *,
        visible: Visible = EVERYTHING,
        sort=None,
        skip: int = 0,
        limit: int = 0,
        projection=None,
    ) -> list[dict[str, Any]]:
        return self.records[key].find(school_id, _within(where, visible), sort=sort, skip=skip, limit=limit, projection=projection)

    def count(self, key: str, school_id: str, where: Where | None = None, *, visible: Visible = EVERYTHING) -> int:
        return self.records[key].count(school_id, _within(where, visible))

    def page(
        self, key: str, school_id: str, where: Where, *, visible: Visible, sort, skip: int, limit: int, natural: bool = True
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a list and the list's total, read the cheapest way FerretDB allows (list_store.py):
        a whole-school list of a student-linked type, at most filtered by semester, is paged over its
        tallied partitions when large; a scoped caller's over their students' classes; anything else is
        one read that counts as it goes.

        `natural` False: `sort` is the user's column. A list read by partitions is in partition order,
        so a large whole-school list in another order is read whole once and its order kept
        (SortedOrders); a scoped caller's classes are read whole and ordered here."""
        if (
            key in PARTITIONED
            and visible.whole_school
            and set(where) <= {"year", "term"}
            and TYPES[key].semester
            and self.tallies.ready(school_id, key, self._classes_of(school_id))
        ):
            parts = [p for p in self.tallies.partitions(school_id, key) if all(p.get(name) == value for name, value in where.items())]
            total = sum(p["n"] for p in parts)
            if total > BIG_LIST and not natural:  # another order than the partitions': read once, kept
                return self.sorted_orders.page(school_id, key, parts, sort, skip, limit), total
            if total > BIG_LIST:
                forget = lambda: self.tallies.forget(school_id, key)  # noqa: E731
                read = lambda part: self.snapshots.rows(school_id, key, part, sort)  # noqa: E731
                return page_by_partitions(read, parts, skip, limit, forget), total
            # a small list is read whole below: its total is counted, not taken from the tallies
        filters = [_within(where, visible)]
        classes = self._classes_seen(key, school_id, where, visible)
        if classes is not None:  # a teacher's or 導師's students: only their classes' partitions are read
            filters = [_within({**where, PARTITION: c}, visible) for c in classes]
        # FerretDB reads (and sorts) every matching row for a page anyway, and again for its count:
        # one read instead, counting the rows as they stream by and keeping only the page's.
        if len(filters) > 1 and not natural:  # the classes are read one by one: their rows are ordered here
            every = [doc for filter_ in filters for doc in self.records[key].iterate(school_id, filter_)]
            return order_rows(every, sort)[skip : skip + limit], len(every)
        docs, total = [], 0
        for filter_ in filters:
            for doc in self.records[key].iterate(school_id, filter_, sort=sort):
                if skip <= total < skip + limit:
                    docs.append(doc)
                total += 1
        return docs, total

    def _classes_seen(self, key: str, school_id: str, where: Where, visible: Visible) -> list[str] | None:
        """The classes of the students a scoped caller sees, when their list is large enough to be read by
        partitions (class, then the natural key); None: read it as one query."""
        type_ = TYPES[key]
        alternatives = visible.alternatives or ()
        if key not in PARTITIONED or not alternatives or not set(where) <= {"year", "term"} or not type_.semester:
            return None
        if not all(isinstance(a.get("student_id"), OneOf) for a in alternatives):
            return None
        if not self.tallies.ready(school_id, key, self._classes_of(school_id)):
            return None
        parts = [p for p in self.tallies.partitions(school_id, key) if all(p.get(n) == v for n, v in where.items())]
        if sum(p["n"] for p in parts) <= BIG_LIST:
            return None
        students = visible.students("student_id") or set()
        return sorted(set(self._classes_of(school_id)(students).values())) if students else []

    def _classes_of(self, school_id: str):
        def classes(student_ids: set[str]) -> dict[str, str]:
            if len(student_ids) <= 20:  # one equality each is cheaper than reading every student
                docs = [d for s in student_ids if (d := self.student(school_id, s)) is not None]
                return {d["student_id"]: d.get("class_code") or "" for d in docs}
            every = self.student_classes(school_id)
            return {s: every[s] for s in student_ids if s in every}

        return classes

    def student_classes(self, school_id: str) -> dict[str, str]:
        """Every student's class (a whole school's 2,000 students: about 0.4 s, so an import reads it once)."""
        return classes_of(self.student_facts(school_id))

    def student_facts(self, school_id: str) -> list[dict[str, Any]]:
        """Every student's id, status and class: what an import checks rows against and places them by."""
        return self.find("students", school_id, {}, projection={"student_id": 1, "status": 1, "class_code": 1})

    def _move_students(self, school_id: str, new_class: dict[str, str]) -> None:
        """Students changed class: their records follow (one equality update per student and type)."""
        if not new_class:
            return
        for key in sorted(PARTITIONED):
            coll = self.records[key]
            if len(new_class) <= 20:
                docs = [d for sid in new_class for d in coll.find(school_id, {"student_id": sid}, projection=_PART_FIELDS)]
            else:
                docs = [d for d in coll.find(school_id, {}, projection=_PART_FIELDS) if d.get("student_id") in new_class]
            if not docs:
                continue
            moving = sorted({d["student_id"] for d in docs})
            bulk_write_bounded(
                coll.raw, [UpdateMany({"school_id": school_id, "student_id": s}, {"$set": {PARTITION: new_class[s]}}) for s in moving]
            )
            self.tallies.add(school_id, key, docs, -1)
            self.tallies.add(school_id, key, [{**d, PARTITION: new_class[d["student_id"]]} for d in docs])

    def get(self, key: str, school_id: str, record_id: str, visible: Visible = EVERYTHING, also: Where | None = None):
        """One record by id if it is visible (and matches `also`); None otherwise."""
        if not isinstance(record_id, str):
            return None
        return self.records[key].find_one(school_id, _within({"_id": record_id, **(also or {})}, visible))

    def find_one(self, key: str, school_id: str, where: Where) -> dict[str, Any] | None:
        return self.records[key].find_one(school_id, _mongo(where))

    def insert(self, key: str, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        if key in PARTITIONED and doc.get("student_id"):
            doc[PARTITION] = self._classes_of(school_id)({doc["student_id"]}).get(doc["student_id"], "")
        try:
            stored = self.records[key].insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists("已有相同的資料（學號、學期或代碼重複）", "a record with the same natural key exists") from None
        if key in PARTITIONED:
            self.tallies.add(school_id, key, [stored])
        return stored

    def update(self, key: str, school_id: str, record_id: str, changes: dict[str, Any], expect: Where | None = None):
        """Set `changes` on the record (when it still matches `expect`); the record after, or None."""
        before = None
        if (key == "students" and "class_code" in changes) or (key in PARTITIONED and {"year", "term", "student_id"} & set(changes)):
            before = self.records[key].find_one(school_id, {"_id": record_id})
        if before is not None and key in PARTITIONED and changes.get("student_id", before.get("student_id")) != before.get("student_id"):
            sid = changes["student_id"]
            changes = {**changes, PARTITION: self._classes_of(school_id)({sid}).get(sid, "")}
        try:
            after = self.records[key].find_one_and_update(school_id, {"_id": record_id, **_mongo(expect)}, {"$set": changes})
        except DuplicateKeyError:
            raise RecordExists("已有相同的資料（學號、學期或代碼重複）", "a record with the same natural key exists") from None
        if after is not None and before is not None:
            if key == "students" and before.get("class_code") != after.get("class_code"):
                self._move_students(school_id, {after["student_id"]: after.get("class_code") or ""})
            elif key in PARTITIONED and (partition_of(before) != partition_of(after) or _student(before) != _student(after)):
                # another student in the same partition changes no count, but which students it holds
                self.tallies.add(school_id, key, [before], -1)
                self.tallies.add(school_id, key, [after])
                return after
        if after is not None and key in PARTITIONED:
            self.tallies.touch(school_id, key, after)  # an order by a changed column is read again
        return after

    def delete(self, key: str, school_id: str, record_id: str) -> int:
        before = self.records[key].find_one(school_id, {"_id": record_id}, _PART_FIELDS) if key in PARTITIONED else None
        deleted = self.records[key].delete_one(school_id, {"_id": record_id})
        if deleted and before is not None:
            self.tallies.add(school_id, key, [before], -1)
        return deleted

    def bulk_upsert(
        self,
        key: str,
        school_id: str,
        inserts: list[dict[str, Any]],
        updates: list[tuple[str, dict[str, Any]]],
        classes: Mapping[str, str] | None = None,
        touched: set[Partition] | None = None,
    ) -> list[dict[str, Any]]:
        """A chunk of an import, as a few commands side by side; the inserted records as stored.
        `classes`: every student's class, read once per job (else read here); `touched`: the
        partitions of the updated records (else every partition of the type counts a write).
        pymongo's bulk write has no SchoolCollection form, so this is the one place that uses the raw
        collection: every operation names the school by hand, as the wrapper would."""
        if key in PARTITIONED and inserts:
            if classes is None:
                classes = self._classes_of(school_id)({d["student_id"] for d in inserts if d.get("student_id")})
            inserts = [{**d, PARTITION: classes.get(d.get("student_id"), "")} for d in inserts]
        moved: dict[str, str] = {}
        if key == "students" and any("class_code" in c for _, c in updates):
            now = {rid: c["class_code"] for rid, c in updates if "class_code" in c}
            before = self.records[key].find(school_id, {}, projection={"student_id": 1, "class_code": 1})
            moved = {d["student_id"]: now[d["_id"]] for d in before if d["_id"] in now and d.get("class_code") != now[d["_id"]]}
        ops: list[Any] = [InsertOne({**doc, "school_id": school_id}) for doc in inserts]
        ops += [UpdateOne({"_id": rid, "school_id": school_id}, {"$set": changes}) for rid, changes in updates]
        if not ops:
            return []
        try:
            bulk_write_side_by_side(self.records[key].raw, ops)  # each on a record of its own
        except BulkWriteError:
            raise RecordExists("匯入時發生重複資料（可能有人同時匯入），請重新匯入", "duplicate key during import; retry") from None
        if key in PARTITIONED:
            self.tallies.add(school_id, key, inserts)
            if updates and touched is not None:
                self.tallies.touch_partitions(school_id, key, touched)
            elif updates:
                self.tallies.touch(school_id, key)
        self._move_students(school_id, moved)
        return [{**doc, "school_id": school_id} for doc in inserts]

    def existing_by_first_key(self, type_: RecordType, school_id: str, values: set[Any]) -> list[dict[str, Any]]:
        """Records of a non-semester type whose first natural-key field is one of `values`."""
        return self.find(type_.key, school_id, {type_.natural_key[0]: OneOf(values)})

    # --- students --------------------------------------------------------------------------------

    def student(self, school_id: str, student_id: str) -> dict[str, Any] | None:
        return self.records["students"].find_one(school_id, {"student_id": student_id}) if isinstance(student_id, str) else None

    def students_among(self, school_id: str, student_ids: list[str], projection=None) -> list[dict[str, Any]]:
        return self.find("students", school_id, {"student_id": OneOf(student_ids)}, projection=projection)

    def archived_among(self, school_id: str, student_ids: list[str]) -> list[str]:
        docs = self.find("students", school_id, {"student_id": OneOf(student_ids), **ARCHIVED}, projection={"student_id": 1})
        return sorted(d["student_id"] for d in docs)

    def enrolled_in_classes(self, school_id: str, class_codes: list[str], status: str | None = None) -> list[dict[str, Any]]:
        """Students of these classes: those still here, or those of one `status`."""
        where = {"class_code": OneOf(class_codes), **({"status": status} if status else STILL_HERE)}
        return self.find("students", school_id, where)

    def students_of_classes(self, school_id: str, class_codes: list[str]) -> set[str]:
        """Ids of the students still here in these classes."""
        docs = self.find("students", school_id, {"class_code": OneOf(class_codes), **STILL_HERE}, projection={"student_id": 1})
        return {d["student_id"] for d in docs}

    def students_in_class(self, school_id: str, class_code: str) -> list[dict[str, Any]]:
        return self.find("students", school_id, {"class_code": class_code, **STILL_HERE}, sort=[("seat_no", 1)])

    def roster(self, school_id: str, status: str | None, include_archived: bool) -> list[dict[str, Any]]:
        """Students by class and seat: of one status, or every one, or (default) those still here."""
        where = {"status": status} if status else ({} if include_archived else dict(STILL_HERE))
        return self.find("students", school_id, where, sort=[("class_code", 1), ("seat_no", 1)])

    def enrolled_students(self, school_id: str) -> list[dict[str, Any]]:
        return self.find(
            "students",
            school_id,
            ENROLLED,
            sort=[("class_code", 1), ("seat_no", 1)],
            projection={"student_id": 1, "name": 1, "class_code": 1, "seat_no": 1, "rechecks": 1},
        )

    def archived_students(self, school_id: str) -> list[dict[str, Any]]:
        return self.find(
            "students",
            school_id,
            ARCHIVED,
            projection={"student_id": 1, "status": 1, "left_on": 1, "archived_at": 1, "updated_at": 1},
            sort=[("student_id", 1)],
        )

    def owners_of_id_hashes(self, school_id: str, hashes: list[str]) -> dict[str, str]:
        """national_id_hash -> student_id of the stored students holding these IDs."""
        docs = self.find("students", school_id, {"national_id_hash": OneOf(hashes)}, projection={"national_id_hash": 1, "student_id": 1})
        return {d["national_id_hash"]: d["student_id"] for d in docs}

    def not_rechecked(self, school_id: str, recheck_key: str) -> int:
        """Students still enrolled whose basic data was not re-checked in the semester `recheck_key` names."""
        return self.count("students", school_id, {f"rechecks.{recheck_key}": ABSENT, **ENROLLED})

    def stamp_rechecks(self, school_id: str, record_ids: list[str], recheck_key: str, stamp: dict[str, Any]) -> None:
        """One write for a whole school's confirmation (a class or 2,000 students at once), not one each."""
        # update_many, not an unordered bulk of single updates: FerretDB 1.x runs those side by side, and
        # 1,000 of them at once exhaust its PostgreSQL pool (it then stops answering anyone).
        for start in range(0, len(record_ids), 500):
            chunk = record_ids[start : start + 500]
            self.records["students"].raw.update_many(
                {"school_id": school_id, "_id": {"$in": chunk}}, {"$set": {f"rechecks.{recheck_key}": stamp}}
            )

    # --- who a staff member's scope covers ---------------------------------------------------------

    def assigned_students(self, school_id: str, counselor_id: str) -> set[str]:
        docs = self.find("counsellor_assignments", school_id, {"counselor_id": counselor_id}, projection={"student_id": 1})
        return {d["student_id"] for d in docs}

    def homeroom_classes(self, school_id: str, teacher_id: str) -> list[str]:
        """The class codes a teacher is homeroom teacher of in their latest year."""
        classes = self.find("classes", school_id, {"homeroom_teacher_id": teacher_id}, projection={"year": 1, "code": 1})
        if not classes:
            return []
        latest = max(c["year"] for c in classes)
        return sorted(c["code"] for c in classes if c["year"] == latest)

    def courses_taught_by(self, school_id: str, teacher_id: str) -> list[dict[str, Any]]:
        return self.find("courses", school_id, {"teacher_ids": teacher_id}, projection={"class_code": 1, "elective": 1, "_id": 1})

    def students_selecting(self, school_id: str, course_ids: list[str]) -> set[str]:
        docs = self.find("selections", school_id, {"course_id": OneOf(course_ids)}, projection={"student_id": 1})
        return {d["student_id"] for d in docs}

    def courses_of_student(self, school_id: str, student: dict[str, Any], year: int, term: int) -> list[dict[str, Any]]:
        """The class's required courses of the semester plus the student's elective selections."""
        selected = [
            d["course_id"] for d in self.find("selections", school_id, {"student_id": student["student_id"], "year": year, "term": term})
        ]
        alternatives = [{"class_code": student["class_code"], "elective": False}, {"_id": {"$in": selected}}]
        return self.records["courses"].find(school_id, {"year": year, "term": term, "$or": alternatives}, sort=[("code", 1)])

    # --- competitions ------------------------------------------------------------------------------

    def published_competitions_of(self, school_id: str, student_id: str) -> list[dict[str, Any]]:
        return self.find("competitions", school_id, {"results.student_id": student_id, "status": "published"})

    # --- semesters ---------------------------------------------------------------------------------

    def semester(self, school_id: str, semester_id: str) -> dict[str, Any] | None:
        return self.semesters.find_one(school_id, {"semester_id": semester_id}) if isinstance(semester_id, str) else None

    def list_semesters(self, school_id: str) -> list[dict[str, Any]]:
        return self.semesters.find(school_id, {}, sort=[("year", -1), ("term", -1)])

    def insert_semester(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.semesters.insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists(f"{doc['semester_id']} 學期已建立", f"semester {doc['semester_id']} exists") from None

    def replace_semester(self, school_id: str, semester_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return self.semesters.find_one_and_update(school_id, {"semester_id": semester_id}, {"$set": changes})

    # --- reopenings --------------------------------------------------------------------------------

    def add_reopening(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        return self.reopenings.insert_one(school_id, doc)

    def reopenings_for(self, school_id: str, semester_id: str, record_type: str | None = None) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {"semester_id": semester_id}
        if record_type:
            filter_["record_type"] = record_type
        return self.reopenings.find(school_id, filter_, sort=[("at", -1)])

    # --- statements --------------------------------------------------------------------------------

    def latest_statement(self, school_id: str, student_id: str, kind: str) -> dict[str, Any] | None:
        docs = self.statements.find(school_id, {"student_id": student_id, "kind": kind}, sort=[("version", -1)], limit=1)
        return docs[0] if docs else None

    def insert_statement(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.statements.insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists("同時有另一份版本儲存，請重新整理後再試", "a concurrent save created this version") from None

    def statement_versions(self, school_id: str, student_ids: list[str] | None, kind: str | None) -> list[dict[str, Any]]:
        filter_: dict[str, Any] = {}
        if student_ids is not None:
            filter_["student_id"] = {"$in": student_ids}
        if kind:
            filter_["kind"] = kind
        return self.statements.find(school_id, filter_, sort=[("student_id", 1), ("kind", 1), ("version", -1)], limit=5000)

    def check_statement(self, school_id: str, statement_id: str, check: dict[str, Any]) -> dict[str, Any] | None:
        return self.statements.find_one_and_update(school_id, {"_id": statement_id}, {"$push": {"checks": check}})

    # --- import jobs -------------------------------------------------------------------------------

    def import_job(self, school_id: str, import_id: str) -> dict[str, Any] | None:
        return self.imports.find_one(school_id, {"import_id": import_id}) if isinstance(import_id, str) else None

    def start_import(self, school_id: str, doc: dict[str, Any]) -> dict[str, Any]:
        try:
            return self.imports.insert_one(school_id, doc)
        except DuplicateKeyError:
            raise RecordExists("此匯入編號已使用", "this import id is already used") from None

    def update_import(self, school_id: str, import_id: str, changes: dict[str, Any]) -> None:
        self.imports.update_one(school_id, {"import_id": import_id}, {"$set": changes})

    # --- retention purge ---------------------------------------------------------------------------

    def purge_students(self, school_id: str, student_ids: list[str], student_keys: list[str], dry_run: bool) -> dict[str, int]:
        """Count, then (unless a dry run) remove, every document of these students: their records of
        `student_keys`, statements, reopenings, competition results and the audit images of those records."""
        counts: dict[str, int] = {}
        ids: list[str] = []
        by_student = {"student_id": {"$in": student_ids}}
        for key in student_keys:
            docs = self.records[key].find(school_id, by_student, projection={"_id": 1})
            counts[key] = len(docs)
            ids += [d["_id"] for d in docs]
            if not dry_run and docs:
                self.records[key].delete_many(school_id, by_student)
        statements = self.statements.find(school_id, by_student, projection={"_id": 1})
        counts["statements"] = len(statements)
        ids += [d["_id"] for d in statements]
        competitions = self.records["competitions"].find(school_id, {"results.student_id": {"$in": student_ids}}, projection={"_id": 1})
        counts["competition_results"] = len(competitions)
        counts["reopenings"] = self.reopenings.count(school_id, by_student)
        # every change of a record is audited under the record's id, or as a row of a batch naming it
        counts["audit"] = self.audit.forget_targets(school_id, ids, dry_run=True) if student_ids else 0
        if not dry_run and student_ids:
            for key in PARTITIONED & set(student_keys):
                self.tallies.forget(school_id, key)  # counted again at the next list
                self.snapshots.forget(school_id, key)
                self.figures.forget(school_id, key)
            self.statements.delete_many(school_id, by_student)
            self.reopenings.delete_many(school_id, by_student)
            for doc in competitions:
                self.records["competitions"].update_one(
                    school_id, {"_id": doc["_id"]}, {"$pull": {"results": {"student_id": {"$in": student_ids}}}}
                )
            self.audit.forget_targets(school_id, ids)
        return counts
