-- Least privilege for a firm ledger on PostgreSQL (README "Firm-wide on PostgreSQL").
-- Run as the database's owner, after `complaintctl --db postgresql://complaint_owner@HOST/complaints init`.
-- complaint_clerk records and reads complaints; it cannot UPDATE or DELETE an event, nor alter the schema.
CREATE ROLE complaint_clerk LOGIN;
GRANT CONNECT ON DATABASE complaints TO complaint_clerk;
GRANT USAGE ON SCHEMA public TO complaint_clerk;
GRANT SELECT, INSERT ON events, migrations TO complaint_clerk;
GRANT USAGE ON SEQUENCE events_id_seq TO complaint_clerk;
GRANT SELECT, INSERT, UPDATE ON complaints, calendar_days, calendar_years, policies, settings, branches
    TO complaint_clerk;
