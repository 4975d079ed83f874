"""The rules, pure: no database, no files. The record and its fold, codes, identity, the calendar,
deadlines, the deadline policy, report periods and anchors."""
