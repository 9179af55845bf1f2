-- Equality indexes FerretDB 1.24 can use, kept beside the ones it makes.
--
-- FerretDB hands PostgreSQL a filter's top-level equalities as `_jsonb -> $1 @> $2` (containment of
-- the value's JSON), while the indexes it creates for our MongoDB indexes are btree indexes on
-- `(_jsonb -> 'field')`, which serve `=` and ranges but never `@>`. So every equality, even on
-- `_id`, was a sequential scan of the whole collection's table (every school of the district). A GIN
-- index on the same expression with `jsonb_path_ops` serves `@>`: a `_id` look-up in a 30,000-row
-- table goes from 25 ms to 0.06 ms.
--
-- An event trigger adds, in the same transaction as FerretDB's own CREATE INDEX, one GIN index for
-- each field that index covers (one per field and table: a compound index's fields each get one, and
-- PostgreSQL combines them with a bitmap AND). FerretDB never lists or drops these (its metadata knows
-- only its own); dropping a collection drops its table and with it every index. The backfill below
-- does the same for the indexes that existed before the trigger. Run as a superuser on the database
-- FerretDB uses, any number of times (deploy/native/infra.sh does, at every start).

SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION licheng_equality_indexes_for(btree_index oid) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  tbl oid;
  ncols integer;
  expr text;
  made integer := 0;
BEGIN
  SELECT i.indrelid, i.indnkeyatts INTO tbl, ncols
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am am ON am.oid = c.relam
   WHERE i.indexrelid = btree_index AND am.amname = 'btree';
  IF tbl IS NULL THEN
    RETURN 0;  -- not a btree (our own GIN indexes land here when the trigger sees them)
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_attribute
                  WHERE attrelid = tbl AND attname = '_jsonb' AND NOT attisdropped) THEN
    RETURN 0;
  END IF;
  FOR k IN 1 .. ncols LOOP
    expr := pg_get_indexdef(btree_index, k, true);
    -- FerretDB's keys: a top-level field `_jsonb -> 'f'`, a dotted path `_jsonb #> '{a,b}'`
    CONTINUE WHEN expr !~ '^\(?_jsonb (->|#>) ';
    IF NOT EXISTS (
      SELECT 1 FROM pg_index gi
        JOIN pg_class gc ON gc.oid = gi.indexrelid
        JOIN pg_am gam ON gam.oid = gc.relam
       WHERE gi.indrelid = tbl AND gam.amname = 'gin' AND gi.indnkeyatts = 1
         AND pg_get_indexdef(gi.indexrelid, 1, true) = expr
    ) THEN
      -- fastupdate off: a look-up never walks a pending list that grows with every insert
      EXECUTE format(
        'CREATE INDEX %I ON %I.%I USING gin ((%s) jsonb_path_ops) WITH (fastupdate = off)',
        left((SELECT relname FROM pg_class WHERE oid = tbl), 40) || '_eq_' || left(md5(expr), 12),
        (SELECT nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE c.oid = tbl),
        (SELECT relname FROM pg_class WHERE oid = tbl),
        expr);
      made := made + 1;
    END IF;
  END LOOP;
  RETURN made;
END;
$$;

CREATE OR REPLACE FUNCTION licheng_equality_indexes_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    PERFORM licheng_equality_indexes_for(cmd.objid);
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS licheng_equality_indexes;
CREATE EVENT TRIGGER licheng_equality_indexes ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION licheng_equality_indexes_on_create();

-- the indexes made before the trigger existed; one dropped meanwhile (another run's databases going
-- away at the same moment: "could not open relation with OID") is passed over, not a failed start
DO $$
DECLARE
  idx oid;
BEGIN
  FOR idx IN SELECT i.indexrelid
               FROM pg_index i
               JOIN pg_class t ON t.oid = i.indrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
              WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  LOOP
    BEGIN
      PERFORM licheng_equality_indexes_for(idx);
    EXCEPTION WHEN undefined_table OR undefined_object OR internal_error THEN
      NULL;
    END;
  END LOOP;
END;
$$;

-- An audit trail's batch entries (shared/audit.py) name their records in the array `targets`, and a
-- record's history looks them up by `targets` equality (`_jsonb -> 'targets' @> '"id"'`). FerretDB
-- would make a btree of a MongoDB index on it, and no btree row holds 1,000 ids (8 kB at most), so
-- the services make none there; this GIN index, on every FerretDB table of a collection named
-- `audit`, serves the look-up instead (the same containment also matches an array's element).
CREATE OR REPLACE FUNCTION licheng_targets_index_for(tbl oid) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  name text := (SELECT relname FROM pg_class WHERE oid = tbl);
BEGIN
  IF name !~ '^audit_[0-9a-f]{8}$' OR NOT EXISTS (
    SELECT 1 FROM pg_attribute WHERE attrelid = tbl AND attname = '_jsonb' AND NOT attisdropped
  ) THEN
    RETURN 0;
  END IF;
  EXECUTE format(
    'CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb -> %L) jsonb_path_ops) WITH (fastupdate = off)',
    name || '_targets_gin',
    (SELECT nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid WHERE c.oid = tbl),
    name,
    'targets');
  RETURN 1;
END;
$$;

CREATE OR REPLACE FUNCTION licheng_targets_index_on_create() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  cmd record;
BEGIN
  FOR cmd IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table' LOOP
    PERFORM licheng_targets_index_for(cmd.objid);
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS licheng_targets_index;
CREATE EVENT TRIGGER licheng_targets_index ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION licheng_targets_index_on_create();

DO $$
DECLARE
  tbl oid;
BEGIN
  FOR tbl IN SELECT c.oid
               FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  LOOP
    BEGIN
      PERFORM licheng_targets_index_for(tbl);
    EXCEPTION WHEN undefined_table OR undefined_object OR internal_error THEN
      NULL;  -- dropped meanwhile, as above
    END;
  END LOOP;
END;
$$;

-- Statistics soon after a bulk write. Without them PostgreSQL guesses every `@>` equally selective,
-- so a look-up by `_id` AND `school_id` (each update FerretDB makes) also reads the school's whole
-- GIN posting list (30,000 entries for a term's grades) and ANDs the bitmaps: 4 ms instead of 0.1
-- per statement, until autovacuum's first ANALYZE of the table, which by default waits up to a
-- minute. 5,000 changed grades right after a 30,000-row import went at 310 rows/s; analysed, 850.
ALTER SYSTEM SET autovacuum_naptime = '2s';
SELECT pg_reload_conf();

-- A statement FerretDB prepares (`_jsonb -> $1 @> $2`) is the same text for every field; a generic
-- plan cannot see which field's index applies, so PostgreSQL must plan each execution with its
-- values (planning is microseconds; a wrong generic plan is a sequential scan).
ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;
