#!/usr/bin/env python3
"""Seeded scenarios for the promise of spec §3: events of one case may arrive out of order and the
outcome must be the same as if they had arrived sorted by `at`.

`generate` writes one round: many scenarios of node 510104 merged (each a handful of cases and
complaints, case ids prefixed by the scenario number), split into pieces in a realistic arrival
order (month by month, some events of a month arriving in a later piece, some cases arriving whole
after an outage), each piece with the instant of the collector's clock at which it arrives. The
events are built from the catalogue's items and the calendar file, so a decision can land on the
day before the yellow threshold, on it, on the last day of a limit, at the midnight that ends it.
Nothing here predicts a finding: `jiancha evaluate` over the whole history is the oracle.

`compare-alerts` and `compare-scores` compare a live collector's answers with that oracle and
print one line per difference naming the scenario, the alert, its case and the field.

Only the standard library; times are fixed dates in 2026 (never today's), so the scenarios mean
the same on any day the suite runs.
"""
import argparse
import datetime as dt
import json
import math
import os
import random
import sys

NODE = "510104"
LOCAL = dt.timezone(dt.timedelta(hours=8))
DAY = dt.timedelta(days=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
HISTORY_FROM = dt.date(2026, 10, 8)  # first acceptance (after the National Day holiday)


# --- the calendar and the catalogue, read from the project's files ---

class Calendar:
    """cn-workdays.tsv: date, kind (holiday | workday); other dates Monday to Friday."""

    def __init__(self, path):
        self.kind = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                date, kind = line.split("\t")[:2]
                self.kind[dt.date.fromisoformat(date)] = kind

    def is_workday(self, d):
        k = self.kind.get(d)
        if k == "holiday":
            return False
        if k == "workday":
            return True
        return d.weekday() < 5

    def next_workday(self, d):
        while not self.is_workday(d):
            d += DAY
        return d


def load_items(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    return [it for it in doc["items"] if it["node"] == NODE and it.get("steps")]


# --- time helpers ---

def local(d, h=0, m=0, s=0, ms=0):
    return dt.datetime(d.year, d.month, d.day, h, m, s, ms * 1000, tzinfo=LOCAL)


def render_at(t, rnd):
    """The contract's time forms: RFC 3339 with +08:00 (mostly), with Z or another offset, with a
    fraction, or integer Unix milliseconds."""
    r = rnd.random()
    if r < 0.08:
        return (t - EPOCH) // dt.timedelta(milliseconds=1)
    if r < 0.14:
        return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + (
            ".%03dZ" % (t.microsecond // 1000) if t.microsecond else "Z")
    if r < 0.17:
        t = t.astimezone(dt.timezone(dt.timedelta(minutes=rnd.choice([-300, 0, 330, 540]))))
    frac = ".%03d" % (t.microsecond // 1000) if t.microsecond else ""
    off = t.strftime("%z")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + frac + off[:3] + ":" + off[3:]


def office_time(d, rnd):
    return local(d, rnd.randint(8, 17), rnd.randint(0, 59), rnd.choice([0, 0, 0, rnd.randint(0, 59)]))


def edge_time(d, rnd):
    """A time on day d, often at its edges (the rules count whole days ending at local midnight)."""
    r = rnd.random()
    if r < 0.15:
        return local(d, 23, 59, 59)
    if r < 0.2:
        return local(d, 23, 59, 59, 999)
    if r < 0.27:
        return local(d, 0, 0, 0)
    return office_time(d, rnd)


def counted_day(cal, start, k, unit, suspended):
    """The date of day k of a clock started on `start` (day 0 = the start date itself), counting
    from the day after, skipping days at whose end the case was suspended (`suspended`: a set of
    dates) and, for working days, rest days. Used only to aim events at interesting days."""
    d, n = start, 0
    guard = 0
    while n < k:
        d += DAY
        guard += 1
        if guard > 1000:
            break
        if d in suspended:
            continue
        if unit == "wd" and not cal.is_workday(d):
            continue
        n += 1
    return d


def suspended_days(intervals, until):
    """Dates at whose end (the next local midnight) one of the [from, to) intervals holds;
    an interval with no end holds until `until`."""
    out = set()
    for a, b in intervals:
        d = a.date()
        while d <= (b or until).date():
            end = local(d + DAY)
            if a < end and (b is None or b > end):
                out.add(d)
            d += DAY
    return out


# --- one scenario ---

class Ctx:
    """What every scenario of a round shares: catalogue, calendar, handlers, the final instant."""

    def __init__(self, items, cal, final):
        self.items = items
        self.cal = cal
        self.final = final
        self.handlers = {}  # dept -> handlers with a valid credential
        self.odd_handlers = {}  # dept -> handlers whose credential is not valid all the time
        for it in items:
            dept = it["dept"]
            self.handlers.setdefault(dept, ["H-%s-%d" % (dept, i) for i in (1, 2, 3)])
            if it.get("credential"):
                self.odd_handlers.setdefault(dept, ["H-%s-8" % dept, "H-%s-9" % dept, "H-%s-0" % dept])

    def preamble(self):
        """Every item published as the catalogue says and every credential, before the history."""
        ev = []
        for it in self.items:
            e = {"type": "item.publish", "id": "pub-" + it["item"], "at": local(dt.date(2025, 12, 1), 9),
                 "item": it["item"], "dept": it["dept"], "name": it["name"],
                 "category": it["category"], "limits": it["limits"],
                 "steps": it["steps"], "basis": it["basis"]}
            ev.append(e)
        cats = {}
        for it in self.items:
            if it.get("credential"):
                cats.setdefault(it["dept"], set()).add(it["category"])
        for dept in sorted(cats):
            c = sorted(cats[dept])
            for h in self.handlers[dept]:
                ev.append(cred(h, dept, c, dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
            h8, h9, _ = self.odd_handlers[dept]  # H-…-0 holds no credential at all
            ev.append(cred(h8, dept, c, dt.date(2026, 1, 1), dt.date(2026, 11, 20)))  # expires
            ev.append(cred(h9, dept, c, dt.date(2026, 11, 10), dt.date(2027, 12, 31)))  # starts late
        for e in ev:
            e["_scen"] = None
        return ev


def cred(handler, dept, cats, frm, until):
    return {"type": "staff.credential", "id": "cred-" + handler, "at": local(dt.date(2026, 1, 1), 8),
            "handler": handler, "dept": dept, "categories": cats,
            "valid_from": local(frm).strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "valid_until": local(until).strftime("%Y-%m-%dT%H:%M:%S+08:00")}


def sha(rnd):
    return "%064x" % rnd.getrandbits(256)


DECISION_KINDS = ["early", "early", "early", "before_yellow", "on_yellow", "after_yellow",
                  "last", "last", "last_midnight", "late", "legal_late", "never", "never"]


class Scenario:
    def __init__(self, k, rnd, ctx):
        self.k, self.rnd, self.ctx = k, rnd, ctx
        self.events = []
        self.n = 0

    def add(self, typ, at, **f):
        self.n += 1
        e = {"type": typ, "id": "S%04d-e%03d" % (self.k, self.n), "at": at}
        e.update(f)
        e["_scen"] = self.k
        self.events.append(e)
        return e

    def build(self):
        rnd = self.rnd
        ncases = rnd.randint(2, 5)
        cases = []
        for j in range(1, ncases + 1):
            first = len(self.events)
            cases.append(self.case("S%04d-C%d" % (self.k, j)))
            mine = sorted(self.events[first:], key=lambda e: e["at"])
            if len(mine) > 2 and rnd.random() < 0.15:
                # two events of the case at the same instant: ties go by arrival (spec §3)
                i = rnd.randrange(len(mine) - 1)
                mine[i + 1]["at"] = mine[i]["at"]
        for j in range(1, rnd.choice([0, 1, 1, 2]) + 1):
            self.complaint("S%04d-K%d" % (self.k, j), rnd.choice(cases))
        return self.events

    def handler(self, it):
        rnd = self.rnd
        if it.get("credential") and rnd.random() < 0.06:
            return rnd.choice(self.ctx.odd_handlers[it["dept"]])
        return rnd.choice(self.ctx.handlers[it["dept"]])

    def case(self, cid):
        rnd, ctx, cal = self.rnd, self.ctx, self.ctx.cal
        it = rnd.choice(ctx.items)
        if rnd.random() < 0.02:  # an item the catalogue does not list here: item.unlisted
            it = dict(it, item=it["item"].replace("-5101", "-5199"))
        lim = it["limits"]
        promised, legal, ext = lim["promised"], lim["legal"], lim.get("extension")
        span = (ctx.final.date() - HISTORY_FROM).days
        start = HISTORY_FROM + DAY * rnd.randint(0, max(0, span - 3))
        if rnd.random() < 0.85:
            start = cal.next_workday(start)
        t_acc = office_time(start, rnd)
        self.add("case.accept", t_acc, case=cid, item=it["item"], dept=it["dept"],
                 handler=self.handler(it), **({"channel": "online"} if rnd.random() < 0.3 else {}))

        # Suspensions: none, one resumed after a few days, or one never resumed.
        susp = []
        r = rnd.random()
        if r < 0.3:
            a = t_acc + dt.timedelta(hours=rnd.randint(2, 24 * 8))
            b = None if rnd.random() < 0.35 else a + dt.timedelta(hours=rnd.randint(1, 24 * 6))
            if rnd.random() < 0.2:  # resumed exactly at a midnight, or suspended at one
                b = local((a + DAY * rnd.randint(1, 4)).date()) if b is not None else None
            susp.append((a, b))
            if b is not None and rnd.random() < 0.25:  # and a second one later
                a2 = b + dt.timedelta(hours=rnd.randint(1, 24 * 5))
                b2 = None if rnd.random() < 0.3 else a2 + dt.timedelta(hours=rnd.randint(1, 24 * 4))
                susp.append((a2, b2))

        # Extensions within the item's allowance (sometimes past it, which must be capped).
        exts = []
        if ext and rnd.random() < 0.3:
            n = rnd.randint(1, ext["n"])
            exts.append((t_acc + dt.timedelta(hours=rnd.randint(4, 24 * 12)), n))
            if rnd.random() < 0.3:
                exts.append((exts[0][0] + dt.timedelta(hours=rnd.randint(1, 24 * 5)), ext["n"]))

        sdays = suspended_days(susp, ctx.final + DAY * 200)
        n_prom = promised["n"] + (min(ext["n"], sum(n for _, n in exts)) if ext else 0)
        n_legal = legal["n"] + (min(ext["n"], sum(n for _, n in exts)) if ext else 0)
        yellow = math.ceil(0.8 * n_prom)
        kind = rnd.choice(DECISION_KINDS)
        unit = promised["unit"]

        def day(k):
            return counted_day(cal, start, k, unit, sdays)

        def last_day(n, u):
            d = counted_day(cal, start, n, u, sdays)
            return cal.next_workday(d) if u == "d" else d

        t_dec = None
        if kind == "early":
            t_dec = edge_time(day(rnd.randint(0, max(0, yellow - 2))), rnd)
        elif kind == "before_yellow":
            t_dec = edge_time(day(max(0, yellow - 1)), rnd)
        elif kind == "on_yellow":
            t_dec = edge_time(day(yellow), rnd)
        elif kind == "after_yellow":
            t_dec = edge_time(day(yellow + 1), rnd)
        elif kind == "last":
            t_dec = edge_time(last_day(n_prom, unit), rnd)
        elif kind == "last_midnight":
            t_dec = local(last_day(n_prom, unit) + DAY)
        elif kind == "late":
            t_dec = edge_time(last_day(n_prom, unit) + DAY * rnd.randint(1, 6), rnd)
        elif kind == "legal_late":
            t_dec = edge_time(last_day(n_legal, legal["unit"]) + DAY * rnd.randint(0, 4), rnd)
        if t_dec is not None and t_dec <= t_acc:
            t_dec = t_acc + dt.timedelta(minutes=rnd.randint(1, 90))
        horizon = t_dec if t_dec is not None else t_acc + DAY * rnd.randint(3, 60)

        for a, b in susp:
            if a < horizon or t_dec is None:
                self.add("case.suspend", a, case=cid, **({"reason": "专家评审"} if rnd.random() < 0.5 else {}))
                if b is not None:
                    self.add("case.resume", b, case=cid)
        for t, n in exts:
            if t < horizon:
                self.add("case.extend", t, case=cid, limit={"n": n, "unit": ext["unit"]},
                         approver="A-%s" % it["dept"])

        # Steps: the case enters each following step at a time before the decision; one may be
        # skipped or returned.
        steps = [s["name"] for s in it["steps"]]
        times = sorted(t_acc + (horizon - t_acc) * rnd.random() for _ in steps[1:])
        if rnd.random() < 0.3 and len(times) > 0:  # a slow first step: its own limit runs out
            times = [min(horizon, t + DAY * rnd.randint(1, 8)) for t in times]
        times = sorted(max(t, t_acc + dt.timedelta(seconds=1)) for t in times)
        if t_dec is None:
            times = times[:rnd.randint(0, len(times))]
        cur = 0
        for i, t in enumerate(times):
            nxt = i + 1
            if rnd.random() < 0.03 and nxt + 1 < len(steps):
                nxt += 1  # a step skipped: procedure.order
            self.add("case.step", t, case=cid, step=steps[nxt], handler=self.handler(it))
            cur = nxt
            if rnd.random() < 0.06 and it.get("rollbacks"):
                back = [p for p in it["rollbacks"] if p[0] == steps[cur]]
                if back:
                    tb = t + dt.timedelta(hours=rnd.randint(1, 30))
                    if t_dec is None or tb < t_dec:
                        extra = {"reason": "材料不全"} if rnd.random() < 0.75 else {}
                        self.add("case.rollback", tb, case=cid, to=back[0][1],
                                 handler=self.handler(it), **extra)
                        self.add("case.step", tb + dt.timedelta(hours=rnd.randint(1, 20)),
                                 case=cid, step=steps[cur], handler=self.handler(it))

        # Evidence before the decision (a kind sometimes missing or removed).
        ev_ids = []
        for kind_e in it.get("evidence", []):
            if rnd.random() < 0.08:
                continue
            t = t_acc + (horizon - t_acc) * rnd.random() * 0.9
            eid = "%s-E%d" % (cid, len(ev_ids) + 1)
            h = sha(rnd)
            self.add("case.evidence", t, case=cid, evidence=eid, kind=kind_e, sha256=h,
                     bytes=rnd.randint(1000, 900000))
            ev_ids.append((eid, kind_e, h))
            if rnd.random() < 0.04:
                self.add("case.evidence_remove", t + (horizon - t) * rnd.random(), case=cid,
                         evidence=eid, reason="误传")

        if t_dec is None or t_dec > ctx.final:
            return cid
        outcome, extra = "grant", {}
        if it["category"] == "penalty":
            outcome = "penalty"
            tier = rnd.choice(it["discretion"])
            lo, hi = tier["min"], tier["max"]
            amount = round(rnd.uniform(lo, hi), 2)
            if rnd.random() < 0.05:
                amount = hi + 1000  # outside the level: discretion
            extra["penalty"] = {"amount": amount, "level": tier["level"], "circumstances": "一般"}
        elif rnd.random() < 0.2:
            outcome = rnd.choice(["deny", "other"])
        basis = it["basis"][:rnd.randint(1, len(it["basis"]))]
        if rnd.random() < 0.04:
            basis = ["《某某条例》第一条"]
        self.add("case.decision", t_dec, case=cid, outcome=outcome, handler=self.handler(it),
                 basis=basis, **extra)

        if ev_ids and rnd.random() < 0.06:  # evidence changed or removed after the decision
            eid, kind_e, _ = rnd.choice(ev_ids)
            t = t_dec + dt.timedelta(hours=rnd.randint(0, 24 * 5))
            if rnd.random() < 0.6:
                self.add("case.evidence", t, case=cid, evidence=eid, kind=kind_e, sha256=sha(rnd))
            else:
                self.add("case.evidence_remove", t, case=cid, evidence=eid, reason="更正")

        if "penalty" in extra and rnd.random() < 0.8:
            amount = extra["penalty"]["amount"]
            if rnd.random() < 0.05:
                amount = round(amount * 0.5, 2)
            f = {"receipt_sha256": sha(rnd)} if rnd.random() < 0.95 else {}
            self.add("case.execution", t_dec + DAY * rnd.randint(0, 30), case=cid, amount=amount, **f)

        t_close = None
        r = rnd.random()
        if r < 0.12:
            t_close = t_dec  # the same instant: ties are by arrival
        elif r < 0.85:
            t_close = t_dec + dt.timedelta(hours=rnd.randint(1, 24 * 10))
        if t_close is not None:
            self.add("case.close", t_close, case=cid, **({"result": "办结"} if rnd.random() < 0.5 else {}))
        if rnd.random() < 0.6:
            rating = rnd.choice([1, 2, 2, 3, 4, 4, 5, 5, 5, 5])
            t_r = (t_close or t_dec) + dt.timedelta(hours=rnd.randint(0, 24 * 7))
            self.add("rating", t_r, case=cid, rating=rating, channel="12345")
        return cid

    def complaint(self, kid, case):
        rnd, ctx = self.rnd, self.ctx
        span = (ctx.final.date() - HISTORY_FROM).days
        d = HISTORY_FROM + DAY * rnd.randint(0, max(0, span - 2))
        t_open = office_time(d, rnd)
        f = {"complaint": kid, "dept": rnd.choice(ctx.items)["dept"]}
        if rnd.random() < 0.5:
            f["kind"] = rnd.choice(["complaint", "petition", "reconsideration"])
        if rnd.random() < 0.4:
            f["case"] = case
        n, unit = 60, "d"
        if rnd.random() < 0.6:
            n, unit = rnd.randint(3, 30), rnd.choice(["d", "d", "wd"])
            f["limit"] = {"n": n, "unit": unit}
        self.add("complaint.open", t_open, summary="办事拖延", **f)
        yellow = math.ceil(0.8 * n)
        k = rnd.choice([1, yellow - 1, yellow, yellow + 1, n, n + 1, n + 5, None])
        if k is None:
            return
        day_k = counted_day(ctx.cal, d, max(0, k), unit, set())
        t_close = edge_time(day_k, rnd)
        if t_close <= t_open:
            t_close = t_open + dt.timedelta(hours=1)
        self.add("complaint.close", t_close, complaint=kid, result="已答复")


# --- a round: scenarios merged, split into pieces ---

def round_plan(seed):
    """Final instant, piece instants and arrival parameters of a round, from its seed alone."""
    rnd = random.Random("plan:%s" % seed)
    final_day = dt.date(2026, 11, 20) + DAY * rnd.randint(0, 40)  # 2026-11-20 .. 2026-12-30
    if rnd.random() < 0.08:
        # past the calendar's last year on purpose: both sides warn and count Monday to Friday
        final_day = dt.date(2027, 1, 4) + DAY * rnd.randint(0, 10)
    final = local(final_day, rnd.randint(10, 15), rnd.randint(0, 59), rnd.randint(0, 59))
    npieces = rnd.randint(3, 7) if rnd.random() < 0.9 else rnd.randint(10, 14)
    first = dt.date(2026, 10, 20)
    days = sorted(rnd.sample(range(0, (final_day - first).days), npieces - 1))
    clocks = []
    for d in days:
        if rnd.random() < 0.15:  # a second before midnight: the day ends while it runs
            clocks.append(local(first + DAY * d, 23, 59, 59))
        else:
            clocks.append(local(first + DAY * d, rnd.randint(9, 16), rnd.randint(0, 59),
                                rnd.randint(0, 59)))
    return {"final": final, "clocks": clocks + [final],
            "p_late": rnd.choice([0.05, 0.15, 0.3, 0.5]),
            "p_outage": rnd.choice([0.0, 0.05, 0.15]),
            "jitter_days": rnd.choice([0.0, 3.0, 20.0, 1000.0]),
            # publications and credentials from a system that synchronises late
            "p_register_late": rnd.choice([0.0, 0.0, 0.2]),
            # a business system's retries: the same event again, later (a duplicate, not stored)
            "p_resend": rnd.choice([0.0, 0.03]),
            # a business system whose clock runs up to 3 hours fast: its event can arrive at the
            # collector a little before its `at`
            "p_skew": rnd.choice([0.0, 0.0, 0.5]),
            "max_records_per_pass": rnd.choice([100, 100, 500, 20000])}


def generate(seed, nscen, catalog, calendar, only=None):
    plan = round_plan(seed)
    ctx = Ctx(load_items(catalog), Calendar(calendar), plan["final"])
    clocks = plan["clocks"]
    arrivals = []  # (piece, key, serial, event)
    serial = 0
    late = random.Random("register:%s" % seed)
    for e in ctx.preamble():
        piece = 0
        if late.random() < plan["p_register_late"]:
            piece = late.randint(0, len(clocks) - 1)
        arrivals.append((piece, late.random() - 1e6, serial, e))
        serial += 1
    for k in range(1, nscen + 1):
        rnd = random.Random("scenario:%s:%d" % (seed, k))
        events = [e for e in Scenario(k, rnd, ctx).build() if e["at"] <= plan["final"]]
        outage = {}
        for e in events:
            cid = e.get("case") or e.get("complaint")
            natural = next(i for i, c in enumerate(clocks) if e["at"] <= c)
            if rnd.random() < plan["p_skew"]:
                skew = dt.timedelta(minutes=rnd.randint(1, 180))
                natural = next(i for i, c in enumerate(clocks) if e["at"] - skew <= c)
            if cid not in outage:
                outage[cid] = rnd.random() < plan["p_outage"]
            piece = natural
            if outage[cid] or rnd.random() < plan["p_late"]:
                piece = rnd.randint(natural, len(clocks) - 1)
            key = e["at"].timestamp() / 86400 + rnd.gauss(0, 1) * plan["jitter_days"]
            e["at_text"] = render_at(e["at"], rnd)
            if only is None or k in only:
                arrivals.append((piece, key, serial, e))
                if rnd.random() < plan["p_resend"]:
                    again = dict(e, _dup=True)
                    arrivals.append((rnd.randint(piece, len(clocks) - 1), key + rnd.random(),
                                     serial + 0.5, again))
            serial += 1
    for _, _, _, e in arrivals:
        if "at_text" not in e:
            e["at_text"] = render_at(e["at"], random.Random(e["id"]))
    arrivals.sort(key=lambda a: (a[0], a[1], a[2]))
    return plan, arrivals


def public(e):
    out = {k: v for k, v in e.items() if not k.startswith("_") and k != "at_text"}
    out["at"] = e["at_text"]
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def write_round(out, plan, arrivals):
    os.makedirs(out, exist_ok=True)
    clocks = plan["clocks"]
    with open(os.path.join(out, "arrival.jsonl"), "w", encoding="utf-8") as f:
        for a in arrivals:
            f.write(public(a[3]) + "\n")
    # The whole history sorted by `at`, ties in the order they arrived (spec §3).
    hist = sorted((i for i in range(len(arrivals)) if not arrivals[i][3].get("_dup")),
                  key=lambda i: (arrivals[i][3]["at"], i))
    with open(os.path.join(out, "history.jsonl"), "w", encoding="utf-8") as f:
        for i in hist:
            f.write(public(arrivals[i][3]) + "\n")
    with open(os.path.join(out, "pieces.tsv"), "w") as f:
        f.write("# piece\tevents\tclock (local)\tFAKETIME (UTC)\tfile\n")
        for p, c in enumerate(clocks):
            name = "piece.%02d.jsonl" % (p + 1)
            evs = [a[3] for a in arrivals if a[0] == p]
            with open(os.path.join(out, name), "w", encoding="utf-8") as g:
                for e in evs:
                    g.write(public(e) + "\n")
            f.write("%d\t%d\t%s\t%s\t%s\n" % (p + 1, len(evs), c.isoformat(),
                                              c.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                                              name))
    months = sorted({a[3]["at"].strftime("%Y-%m") for a in arrivals if a[3]["_scen"] is not None})
    with open(os.path.join(out, "months"), "w") as f:
        f.write("\n".join(months) + "\n")
    with open(os.path.join(out, "as_of"), "w") as f:
        f.write(plan["final"].isoformat() + "\n")
    with open(os.path.join(out, "as_of.faketime"), "w") as f:
        f.write(plan["final"].astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + "\n")
    with open(os.path.join(out, "plan"), "w") as f:
        f.write("late=%s outage=%s jitter_days=%s register_late=%s resend=%s skew=%s pass=%d "
                "pieces=%d events=%d\n" % (
                    plan["p_late"], plan["p_outage"], plan["jitter_days"], plan["p_register_late"],
                    plan["p_resend"], plan["p_skew"], plan["max_records_per_pass"], len(clocks),
                    len(arrivals)))
    with open(os.path.join(out, "max_records_per_pass"), "w") as f:
        f.write("%d\n" % plan["max_records_per_pass"])


# --- comparisons ---

def read_lines(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                out.append(json.loads(line))
    return out


def subject(a):
    for k in ("case", "complaint", "supervision", "item"):
        if a.get(k):
            return "%s %s" % (k, a[k])
    return "subject ?"


def scenario_of(a):
    s = a.get("case") or a.get("complaint") or ""
    return s[:5] if s.startswith("S") and s[1:5].isdigit() else "-"


# What the history decides about an alert (spec §5), and its detail (what a supervisor reads). Not
# `light`: past an answer deadline the supervision desk raises it a step (feedback.overdue), which
# evaluate does not run; nor the desk's answer clock and queue.
ALERT_FIELDS = ("rule", "finding", "raised_at", "finding_at", "state", "node", "dept", "item",
                "article", "case", "complaint", "detail")


# A node's own alarms (calendar.coverage, node.clock) are facts about the node, not about the
# history: evaluate has no node to judge, so they are left out of the comparison.
NODE_ALARMS = ("calendar.", "node.")


def compare_alerts(args):
    live = {a["id"]: a for a in read_lines(args.live)
            if not a.get("rule", "").startswith(NODE_ALARMS)}
    oracle = {a["id"]: a for a in read_lines(args.evaluate)}
    bad, scen = [], set()

    def diff(a, text):
        bad.append("scenario %s alert %s %s rule %s: %s" % (
            scenario_of(a), a["id"], subject(a), a.get("rule"), text))
        scen.add(scenario_of(a))

    for aid, a in sorted(live.items()):
        cleared = a.get("state") == "cleared"
        if aid not in oracle:
            if not cleared:
                diff(a, "live has it (state %s, finding %s, raised %s), evaluate does not" % (
                    a.get("state"), a.get("finding"), a.get("raised_at")))
            continue
        o = oracle[aid]
        if cleared:
            diff(a, "live cleared it, evaluate has it (finding %s, raised %s)" % (
                o.get("finding"), o.get("raised_at")))
            continue
        for f in ALERT_FIELDS:
            if a.get(f) != o.get(f):
                diff(a, "field %s live=%s evaluate=%s" % (f, a.get(f), o.get(f)))
    for aid, o in sorted(oracle.items()):
        if aid not in live:
            diff(o, "evaluate has it (finding %s, raised %s), live does not" % (
                o.get("finding"), o.get("raised_at")))
    for line in bad:
        print(line)
    if args.failed:
        with open(args.failed, "w") as f:
            f.write("".join(s + "\n" for s in sorted(scen)))
    print("alerts: live %d (%d cleared), evaluate %d, %d differences" % (
        len(live), sum(1 for a in live.values() if a.get("state") == "cleared"), len(oracle),
        len(bad)), file=sys.stderr)
    return 1 if bad else 0


SCORE_FIELDS = ("cases", "concluded", "on_time", "red", "yellow", "ratings", "ratings_good",
                "complaints")


def compare_scores(args):
    def rows(path):
        return {(r.get("period"), r["key"]): r for r in read_lines(path)}

    live, fresh = rows(args.live), rows(args.fresh)
    bad = 0
    for key in sorted(set(live) | set(fresh)):
        a, b = live.get(key, {}), fresh.get(key, {})
        for f in SCORE_FIELDS:
            if a.get(f, 0) != b.get(f, 0):
                print("scores %s %s: field %s live=%s fresh=%s" % (key[0], key[1], f, a.get(f, 0),
                                                                  b.get(f, 0)))
                bad += 1
    print("scores: %d rows, %d differences" % (len(set(live) | set(fresh)), bad), file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write one round's pieces, clocks and history to a directory")
    g.add_argument("--seed", required=True)
    g.add_argument("--scenarios", type=int, default=50)
    g.add_argument("--only", default="", help="comma-separated scenario numbers to keep (replay)")
    g.add_argument("--catalog", required=True)
    g.add_argument("--calendar", required=True)
    g.add_argument("--out", required=True)
    c = sub.add_parser("compare-alerts", help="live alerts (query alerts --json) against evaluate")
    c.add_argument("live")
    c.add_argument("evaluate")
    c.add_argument("--failed", help="write the scenarios that differ here, one a line")
    s = sub.add_parser("compare-scores", help="live scores against a fresh collector's")
    s.add_argument("live")
    s.add_argument("fresh")
    args = ap.parse_args()
    if args.cmd == "generate":
        only = {int(x.lstrip("S")) for x in args.only.split(",") if x} or None
        plan, arrivals = generate(args.seed, args.scenarios, args.catalog, args.calendar, only)
        write_round(args.out, plan, arrivals)
        return 0
    if args.cmd == "compare-alerts":
        return compare_alerts(args)
    return compare_scores(args)


if __name__ == "__main__":
    sys.exit(main())
