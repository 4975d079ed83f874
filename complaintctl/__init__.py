"""complaintctl: the investor-complaint ledger (投诉台账) of a securities branch."""

__version__ = "0.1.0"
