"""`make seed-school` builds its school through the API: here a small one against the test system."""

from __future__ import annotations

from deploy.seed_school import seed_school
from services.identity.bootstrap import ensure_district_admin
from services.identity.store import IdentityStore
from tests.support.api import login

PASSWORD = "Seed-school-123"


def test_seed_school_builds_a_school_through_the_api(system, identity_db, district):
    ensure_district_admin(IdentityStore(identity_db), "seeder", PASSWORD)
    # the seeder logs in as the district account named "district": give the test its own district admin
    import deploy.seed_school as module

    original = module._login
    module._login = lambda base, school, username, password: original(base, school, "seeder" if not school else username, password)
    try:
        seed_school(system.base_url, PASSWORD, "S00SCL", students=12, classes=2, subjects=3, all_accounts=False)
        seed_school(system.base_url, PASSWORD, "S00SCL", students=12, classes=2, subjects=3, all_accounts=False)  # a re-run is fine
    finally:
        module._login = original
    registrar = login(system.base_url, "S00SCL", "registrar", PASSWORD)
    assert registrar.get("/api/v1/records/students", params={"per_page": 1}).json()["total"] == 12
    assert registrar.get("/api/v1/records/grades", params={"per_page": 1}).json()["total"] == 12 * 3
    courses = registrar.get("/api/v1/lookup/courses", params={"q": "國語"}).json()
    assert courses and all("老師" in c["label"] for c in courses)  # each course has a named teacher
    assert login(system.base_url, "S00SCL", "s10101", PASSWORD).get("/api/v1/me").status_code == 200
