"""The one error type meant for people, and the exit codes the CLI documents."""

# Exit codes (README "Exit codes" lists the same table).
OK = 0
REFUSED = 1  # a rule was broken, a value is invalid, or the ledger cannot be used
USAGE = 2  # the command line itself is wrong (unknown option, missing argument)
OVERDUE = 3  # `warn`: at least one deadline is overdue
BUSY = 4  # the ledger stayed locked by another writer for longer than the busy timeout
INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it
DAMAGED = 5  # `verify` found the ledger altered, inconsistent or damaged, or an attachment changed


class ComplaintError(Exception):
    """A refusal written for the specialist: one line, citing the rule where there is one.

    `rule` is the clause (e.g. "CSA 9.2.2(d)"); the message is printed as
    "CSA 9.2.2(d): extensions may total at most 20 trading days; this one would make 25".
    """

    def __init__(self, message: str, rule: str | None = None, exit_code: int = REFUSED):
        self.message = message
        self.rule = rule
        self.exit_code = exit_code
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}" if self.rule else self.message
