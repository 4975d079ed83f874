"""A real second process that writes to the ledger in a loop, for the concurrency and kill tests.

    python -m tests.writer COUNT     # COUNT complaints, each registered, accepted, assigned, resolved
Prints each complaint number once all its steps are done.
"""

import sys
from datetime import timedelta

from complaintctl.rules import clock
from complaintctl.steps import lifecycle
from complaintctl.store.ledger import Ledger, resolve_path


def main(count: int) -> None:
    ledger = Ledger(resolve_path(None))
    day = clock.parse_at("2026-11-02 09:00")
    for _ in range(count):
        fields = {"method": "phone", "channel": "direct", "name": "并发", "phone": "13812345678",
                  "request": "并发写入", "id_type": "id_card", "id_number": "11010519491231002X",
                  "respondent": "李四", "facts": "事实", "category": "a5", "received_at": day}
        number = lifecycle.register(ledger, fields, at=day, by="writer").record["id"]
        lifecycle.accept(ledger, number, at=day + timedelta(hours=1), by="writer")
        lifecycle.assign(ledger, number, handler="赵六", dept=None, at=day + timedelta(hours=2), by="writer")
        lifecycle.resolve(ledger, number, result="已处理", facts_found="核实", cause="设置错误", feedback_via="phone",
                          respondent_feedback_via="phone", at=day + timedelta(days=1), by="writer")
        print(number, flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
