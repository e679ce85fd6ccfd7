#!/usr/bin/env python3
"""Independent oracle for `jiancha query scores --by dept` counts, from the documents only.

usage: oracle.py HISTORY.jsonl PERIOD [--catalog F] [--calendar F] [--node N] [--explain]
prints one JSON object per dept: cases, concluded, ratings, ratings_good, complaints, on_time
(and on_time_alt: extensions counted even when approved after the promised limit was used up).
A case accepted more than once counts once, by its earliest acceptance (docs/decisions.md);
--explain adds late_cases and twice_accepted (where each such case is counted and why).
"""
import argparse, os, collections, datetime as dt, json, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calendar_lib import Calendar, parse_at, midnight_after

ONE = dt.timedelta(days=1)


def load(path):
    seen = set()
    out = []
    for i, line in enumerate(open(path, encoding="utf-8")):
        if not line.strip():
            continue
        e = json.loads(line)
        if e["id"] in seen:          # duplicate id: acknowledged, not stored again
            continue
        seen.add(e["id"])
        e["_at"] = parse_at(e["at"])
        e["_seq"] = i
        out.append(e)
    return out


def case_red(accept, evs, item, cal, late_ext_counts):
    """None if the case's promised-limit clock never ran out before its decision/close,
    else the instant limit.case went red. evs: the case's events sorted by (at, arrival)."""
    lim = item["limits"]["promised"]
    n, unit = lim["n"], lim["unit"]
    cap = item["limits"].get("extension", {}).get("n", 0)
    start = accept["_at"].date()
    stop = None
    for e in evs:
        if e["type"] in ("case.decision", "case.close") and e["_at"] >= accept["_at"]:
            stop = e["_at"]
            break
    susp = [e for e in evs if e["type"] in ("case.suspend", "case.resume")]
    exts = [e for e in evs if e["type"] == "case.extend"]

    def suspended_at(t):
        st = False
        for e in susp:
            if e["_at"] < t:
                st = e["type"] == "case.suspend"
        return st

    def limit_at(t):
        tot = 0
        for e in exts:
            if late_ext_counts or e["_at"] < t:
                tot += e["limit"]["n"]
        return n + min(cap, tot)

    counted = 0
    d = start
    for _ in range(20000):
        d += ONE
        end = midnight_after(d)
        if stop is not None and stop < end:
            return None
        if suspended_at(end):
            continue
        if unit == "d" or cal.is_workday(d):
            counted += 1
        if counted >= limit_at(end):
            if unit == "d":
                due = cal.next_workday(d)
                end = midnight_after(due)
                if stop is not None and stop < end:
                    return None
            return end
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("history")
    ap.add_argument("period")
    ap.add_argument("--catalog", default=os.path.join(os.environ["JIANCHA_SOURCE"], "config/catalog.json"))
    ap.add_argument("--calendar", default=os.path.join(os.environ["JIANCHA_SOURCE"], "config/cn-workdays.tsv"))
    ap.add_argument("--node", default="510104")
    ap.add_argument("--explain", action="store_true")
    a = ap.parse_args()
    cal = Calendar(a.calendar)
    cat = json.load(open(a.catalog, encoding="utf-8"))
    items = {(it["item"]): it for it in cat["items"] if it["node"] == a.node}
    y, m = map(int, a.period.split("-"))

    def inp(e):
        d = e["_at"].date()
        return d.year == y and d.month == m

    evs = load(a.history)
    evs.sort(key=lambda e: (e["_at"], e["_seq"]))
    by_case = collections.defaultdict(list)
    for e in evs:
        if "case" in e and e["type"].startswith(("case.", "rating")):
            by_case[e["case"]].append(e)
    # the acceptance that counts (docs/decisions.md, Scores, "A case accepted twice"): the
    # earliest by `at`, the first stored among equal times (here: file order, i.e. an in-order
    # feed; the generated duplicates never share an `at`, so arrival order cannot matter). The
    # case, its decisions, ratings and limit follow it; any other acceptance counts nothing.
    accept = {}
    twice = {}
    for c, l in by_case.items():
        acc = [e for e in l if e["type"] == "case.accept"]
        if acc:
            accept[c] = acc[0]
        if len(acc) > 1:
            twice[c] = acc

    red = {}
    red_alt = {}
    for c, acc in accept.items():
        it = items.get(acc["item"])
        if it is None or it["dept"] != acc["dept"]:
            red[c] = red_alt[c] = None      # item.unlisted: no catalogue limit to count
            continue
        red[c] = case_red(acc, by_case[c], it, cal, False)
        red_alt[c] = case_red(acc, by_case[c], it, cal, True)

    F = ["cases", "concluded", "on_time", "on_time_alt", "ratings", "ratings_good", "complaints"]
    out = collections.defaultdict(lambda: dict.fromkeys(F, 0))
    expl = collections.defaultdict(list)
    for e in evs:
        t = e["type"]
        if not inp(e):
            continue
        if t == "case.accept":
            if accept[e["case"]] is e:
                out[e["dept"]]["cases"] += 1
        elif t == "complaint.open":
            out[e["dept"]]["complaints"] += 1
        elif t in ("case.decision", "rating"):
            c = e["case"]
            dept = accept[c]["dept"] if c in accept else "?"
            if t == "rating":
                out[dept]["ratings"] += 1
                if e["rating"] >= 4:
                    out[dept]["ratings_good"] += 1
            else:
                out[dept]["concluded"] += 1
                r = red.get(c)
                if r is None or e["_at"] < r:
                    out[dept]["on_time"] += 1
                else:
                    expl[dept].append((c, r.isoformat()))
                r = red_alt.get(c)
                if r is None or e["_at"] < r:
                    out[dept]["on_time_alt"] += 1
    # explanation of every case accepted more than once: where the oracle counts it and what
    # it counts there for the period, and the acceptances that count nothing
    dup = collections.defaultdict(list)
    for c, acc in sorted(twice.items()):
        a0 = accept[c]
        it = items.get(a0["item"])
        decs = [e for e in by_case[c] if e["type"] == "case.decision" and inp(e)]
        rats = [e for e in by_case[c] if e["type"] == "rating" and inp(e)]
        x = {"case": c, "counted": "%s %s %s" % (a0["dept"], a0["item"], a0["_at"].isoformat()),
             "listed": it is not None and it["dept"] == a0["dept"],
             "case_in_period": inp(a0),
             "ignored": ["%s %s %s" % (e["dept"], e["item"], e["_at"].isoformat()) for e in acc[1:]],
             "decisions_in_period": len(decs),
             "on_time_in_period": sum(1 for e in decs if red.get(c) is None or e["_at"] < red[c]),
             "red": red[c].isoformat() if red.get(c) else None,
             "ratings_in_period": len(rats), "ratings_good": sum(1 for e in rats if e["rating"] >= 4)}
        for d in sorted({e["dept"] for e in acc}):
            dup[d].append(x)
    for d in sorted(set(out) | (set(dup) if a.explain else set())):
        o = {"dept": d}
        o.update(out[d])
        if a.explain:
            o["late_cases"] = expl[d]
            o["twice_accepted"] = dup[d]
        print(json.dumps(o, ensure_ascii=False))


if __name__ == "__main__":
    main()
