-- The roles of a firm ledger on PostgreSQL (README "Firm-wide on PostgreSQL").
--
-- Run by the database administrator (a superuser, or a role with CREATEROLE that may grant on the
-- ledger's tables), in the ledger's database, after the owner's `complaintctl init`:
--
--     sudo -u postgres psql -d complaints -v ON_ERROR_STOP=1 -f docs/firm-roles.sql
--
-- Run it again after every complaintctl upgrade (it only adds what is missing). It makes three group
-- roles; no one logs in as them, people's logins are made members:
--   complaintctl_clerk       records and reads complaints; which branches, its branch roles say
--                            (complaintctl_branch_<code>, made by `complaintctl branch grant LOGIN CODE`)
--   complaintctl_department  投诉管理部门 (CSA 8.1.3): reads every branch, exports the firm's report
--   complaintctl_admin       keeps the calendar, policies, settings and branches
-- Which rows each may see and write is the row-level security that `complaintctl init` puts on the
-- tables (complaintctl/migrations.py, firm_security). No role here may UPDATE or DELETE an event,
-- change the schema, or write the migrations table: that is the owner's, used only for upgrades.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'complaintctl_clerk') THEN
        CREATE ROLE complaintctl_clerk NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'complaintctl_department') THEN
        CREATE ROLE complaintctl_department NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'complaintctl_admin') THEN
        CREATE ROLE complaintctl_admin NOLOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO complaintctl_clerk, complaintctl_department, complaintctl_admin',
                   current_database());
    -- complaintctl never leaves a transaction open; a psql session that does (holding a branch's lock) is ended.
    EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L', current_database(), '5min');
    -- The single role of versions before roles (docs/firm-roles.sql of 2026-11) held rights no role holds now:
    -- INSERT on migrations, table-wide UPDATE on complaints, the calendar and policies.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'complaint_clerk') THEN
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM complaint_clerk;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM complaint_clerk;
    END IF;
END $$;

-- Nobody but the owner makes objects in the ledger's schema (PostgreSQL 14 still lets everyone).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO complaintctl_clerk, complaintctl_department, complaintctl_admin;

-- Everyone reads the rules that decide deadlines, and may lock the chains row-level security lets them write.
GRANT SELECT ON migrations, calendar_days, calendar_years, policies, settings, branches
    TO complaintctl_clerk, complaintctl_department, complaintctl_admin;
GRANT SELECT, UPDATE (branch) ON writers TO complaintctl_clerk, complaintctl_department, complaintctl_admin;

-- Events are only ever added; row-level security says to which chain.
GRANT SELECT, INSERT ON events TO complaintctl_clerk, complaintctl_department, complaintctl_admin;

-- A complaint's current state, the fold of its events: written by its branch's clerks. UPDATE by column,
-- never on the table: a table-wide right would let a clerk LOCK the whole table and stop every branch.
GRANT SELECT, INSERT ON complaints TO complaintctl_clerk;
GRANT UPDATE (status, received_at, received_day, category, handler, complainant_key, parent, is_open, last_event,
              record, ended_day, rectification_due, rectified_day) ON complaints TO complaintctl_clerk;
GRANT SELECT ON complaints TO complaintctl_department, complaintctl_admin;

-- The firm's rules: the administrator's alone, each change an event of the firm's chain. UPDATE by column
-- here too: a table-wide right would let the administrator LOCK a table every command reads.
GRANT INSERT ON calendar_days, calendar_years, policies, settings, branches, writers TO complaintctl_admin;
GRANT UPDATE (kind, note, event) ON calendar_days TO complaintctl_admin;
GRANT UPDATE (source, event) ON calendar_years TO complaintctl_admin;
GRANT UPDATE (data, event) ON policies TO complaintctl_admin;
GRANT UPDATE (value) ON settings TO complaintctl_admin;
GRANT UPDATE (name, event) ON branches TO complaintctl_admin;
