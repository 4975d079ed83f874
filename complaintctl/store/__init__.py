"""Where the ledger is kept and read: the ledger, its backends (SQLite, PostgreSQL), migrations, the
event chain's integrity, backups and moves, as-of reads, queries, settings and calendar corrections."""
