"""Synthetic ledgers for the benchmark: N complaints whose events follow the rules of DOMAIN.md.

Each complaint's events are made with the core's own pieces (`complaint.apply` for the state,
`ledger.event_hash` for the chain, the real calendar and CSA policy for every date), then written
with plain executemany in large transactions: building a million complaints through one command
per step would take hours, and what is measured is reading, not building.

The dates obey the rules: the acceptance decision within T+3 trading days, the handler assigned the
same day, extensions requested before the deadline and at most 20 trading days in total, most
complaints completed within T+20 (plus extension) and a few late, callbacks within 2 working days,
the regulator reply for transferred complaints, closing after the callback.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from complaintctl.rules import clock, codes
from complaintctl.rules.calendar import Calendar
from complaintctl.rules.complaint import apply, columns_of, format_id, record_json
from complaintctl.rules.identity import resident_id_check_digit
from complaintctl.store.chain import GENESIS_HASH, canonical_json, event_hash
from complaintctl.store.ledger import Ledger
from complaintctl.steps.lifecycle import keep_until

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
HANDLERS = ["周志强", "孙丽", "刘静", "陈建华", "赵刚", "王磊"]
DEPTS = ["营业部运营组", "信用业务部", "财富管理部", "信息技术部"]
CATEGORIES = list(codes.CATEGORIES.entries)
REQUESTS = ["要求退还多收佣金", "要求恢复交易权限", "要求解释系统故障原因并赔偿", "要求核实理财产品风险等级",
            "要求撤销强制平仓", "投诉员工服务态度"]


def _at(day: date, hour: int, minute: int = 0) -> str:
    return clock.iso(datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.SHANGHAI))


def _id_number(rng: random.Random) -> str:
    born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    first17 = f"110105{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_digit(first17)


def complaint_events(rng: random.Random, cal: Calendar, received: date, number: str, year: int, seq: int,
                     stage: str) -> list[tuple[str, str, str, dict]]:
    """(kind, at, actor, payload) for one complaint, stopping at `stage` (open ones) or closing it."""
    regulator = rng.random() < 0.1
    fields = {
        "received_at": _at(received, rng.randrange(9, 17), rng.randrange(60)),
        "method": rng.choice(list(codes.METHODS.entries)), "channel": "regulator" if regulator else "direct",
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), "id_type": "id_card",
        "id_number": _id_number(rng), "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        "respondent": rng.choice(SURNAMES) + rng.choice(GIVEN), "respondent_dept": rng.choice(DEPTS),
        "category": rng.choice(CATEGORIES), "request": rng.choice(REQUESTS),
        "facts": "客户反映在营业部办理业务时遇到问题，具体经过已电话记录。" * rng.randrange(1, 4),
    }
    if regulator:
        fields.update(source="中证中小投资者服务中心", transfer_no=f"12386-{received:%Y%m%d}-{seq:06d}")
    if rng.random() < 0.01:
        fields.update(complainants=12, major=True, major_reason="群体投诉")
    who = "王芳"
    events = [("registered", fields["received_at"], who, {"id": number, "year": year, "seq": seq, **fields})]
    decided = cal.add_days(received, rng.randrange(1, 4))
    if stage == "received":
        return events
    if rng.random() < 0.03:
        events.append(("rejected", _at(decided, 10), who, {"reason": rng.choice(list(codes.REJECT_REASONS.entries)[:5]),
                                                          "notified_via": "sms", "note": None}))
        if stage == "closed":
            events.append(("closed", _at(decided, 16), who, {"keep_until": keep_until(decided).isoformat()}))
        return events
    handler = rng.choice(HANDLERS)
    events.append(("accepted", _at(decided, 10), who, {}))
    if stage == "accepted":
        return events
    events.append(("assigned", _at(decided, 11), who, {"handler": handler, "dept": rng.choice(DEPTS)}))
    extension, asked_after = 0, 1
    if rng.random() < 0.05:
        extension, asked_after = rng.randrange(5, 21), rng.randrange(10, 20)
        asked = cal.add_days(received, asked_after)
        events.append(("extended", _at(max(asked, decided), 15), handler, {
            "days": extension, "reason": "需调取交易日志核查", "approved_by": "营业部负责人",
            "new_due": cal.add_days(received, 20 + extension).isoformat()}))
    if stage == "assigned":
        return events
    late = rng.random() < 0.03
    took = rng.randrange(21, 26) if late else rng.randrange(max(4, asked_after + 1), 21 + extension)
    resolved = max(cal.add_days(received, took), decided)
    events.append(("resolved", _at(resolved, 15), handler, {
        "result": "经核查已向客户说明并妥善处理。", "facts_found": "核实委托记录与录音。", "cause": "执行环节疏漏。",
        "accountability": "提醒谈话。", "improvement": "完善复核流程。", "suggestion": None,
        "compensation": f"{rng.randrange(100, 5000)}.00" if rng.random() < 0.05 else None, "feedback_via": "phone"}))
    if stage == "resolved":
        return events
    if regulator:
        events.append(("regulator_replied", _at(resolved, 16), who,
                       {"note": None, "transfer_no": fields["transfer_no"], "source": fields["source"]}))
    called = cal.add_days(resolved, rng.randrange(1, 3), "working")
    outcome = rng.choices(["satisfied", "dissatisfied", "unreachable"], [90, 5, 5])[0]
    payload = {"outcome": outcome, "method": "phone", "note": None}
    if outcome == "dissatisfied":
        payload["advice"] = "建议申请调解"
    events.append(("called_back", _at(called, 10), "刘静", payload))
    events.append(("closed", _at(called, 17), who, {"keep_until": keep_until(called).isoformat()}))
    return events


def build(path: Path, count: int, first: date, last: date, open_count: int = 3000, seed: int = 1,
          batch: int = 5000, until: date | None = None) -> None:
    """A ledger of `count` complaints received between first and last; the latest `open_count` stay open.

    The ledger is as it stands at the end of `until` (default `last`): no event is dated after it.
    """
    path = Path(path)
    if path.exists():
        raise SystemExit(f"{path} exists; the benchmark builds its ledgers afresh")
    Ledger(path, create=True).engine.dispose()  # create it with the real migrations, then let go of it
    rng = random.Random(seed)
    cal = Calendar()
    span = (last - first).days + 1
    days = sorted(first + timedelta(days=rng.randrange(span)) for _ in range(count))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")  # not gigabytes of WAL to copy back at the end
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    prev, event_id, seqs = GENESIS_HASH, 0, {}
    end = ((until or last) + timedelta(days=1)).isoformat()
    events_rows, complaint_rows = [], []
    for index, received in enumerate(days):
        year = received.year
        seqs[year] = seq = seqs.get(year, 0) + 1
        number = format_id(year, seq)
        stage = "closed"
        if index >= count - open_count:
            stage = rng.choice(["received", "accepted", "assigned", "assigned", "resolved"])
        record = None
        # Nothing is recorded after `until`: a complaint still in progress then stops where it is.
        steps = [step for step in complaint_events(rng, cal, received, number, year, seq, stage)
                 if step[0] == "registered" or step[1] < end]
        for kind, at, actor, payload in steps:
            recorded = at  # typed in as it happened, as a kept ledger is: not every event a late entry (补录)
            body = canonical_json(payload)
            digest = event_hash(prev, number, kind, at, recorded, actor, body)
            event_id += 1
            events_rows.append((event_id, number, kind, at, recorded, actor, body, prev, digest))
            prev = digest
            record = apply(record, kind, payload, at, actor)
        columns = columns_of(record)
        complaint_rows.append((number, year, seq, *(columns[name] for name in COLUMNS), event_id,
                               record_json(record)))
        if len(complaint_rows) >= batch:
            _flush(conn, events_rows, complaint_rows)
    _flush(conn, events_rows, complaint_rows)
    conn.execute("COMMIT")
    conn.execute("PRAGMA journal_mode = WAL")  # as complaintctl runs it
    conn.close()


COLUMNS = ("status", "received_at", "received_day", "category", "handler", "complainant_key", "parent", "is_open",
           "ended_day")


def _flush(conn, events_rows: list, complaint_rows: list) -> None:
    conn.executemany("INSERT INTO events (id, complaint, kind, at, recorded_at, actor, payload, prev_hash, hash) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", events_rows)
    conn.executemany(f"INSERT INTO complaints (id, year, seq, {', '.join(COLUMNS)}, last_event, record) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", complaint_rows)
    events_rows.clear()
    complaint_rows.clear()
