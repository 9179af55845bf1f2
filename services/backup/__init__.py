"""Backup, verification and restore of every service's database and every evidence object version
(the registrar's 資料定期備份與封存). Application-level: pymongo BSON dumps and S3 object copies, so a
backup restores into MongoDB and FerretDB alike (no mongodump, no oplog)."""
