"""Import a core module on first use, so `--help` and commands that never touch the ledger start fast.

The ledger's write stack (SQLAlchemy, SQLModel) is most of complaintctl's start-up time: only
commands that change the ledger load it (`Ledger.transaction`); reads use the driver alone
(`Ledger.reading`), and `--help` opens nothing.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
