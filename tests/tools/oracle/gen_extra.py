#!/usr/bin/env python3
"""Extra events the generator never makes: long cases around their promised limits (with
suspensions, extensions, closes), calendar-day items, month edges in several time formats,
ratings/decisions of cases never accepted, complaints, cases accepted twice. usage: gen_extra.py SEED > extra.jsonl"""
import os, datetime as dt, json, random, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calendar_lib import Calendar, TZ

rnd = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
cal = Calendar(os.path.join(os.environ["JIANCHA_SOURCE"], "config/cn-workdays.tsv"))
cat = {it["item"]: it for it in json.load(open(os.path.join(os.environ["JIANCHA_SOURCE"], "config/catalog.json")))["items"] if it["node"] == "510104"}
ONE = dt.timedelta(days=1)
NOW_MAX = dt.datetime(2026, 12, 5, 12, 0, tzinfo=TZ)
n_id = 0
out = []


def fmt(t):
    """a random but equivalent representation of instant t"""
    k = rnd.randrange(4)
    if k == 0:
        return int(t.timestamp() * 1000)
    if k == 1:
        return t.astimezone(TZ).isoformat()
    if k == 2:
        return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if t.microsecond == 0 \
            else t.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return t.astimezone(dt.timezone(dt.timedelta(hours=-5))).isoformat()


def ev(type_, t, **kw):
    global n_id
    n_id += 1
    e = {"type": type_, "id": "x-%d" % n_id, "at": fmt(t)}
    e.update(kw)
    out.append((t, e))
    return e


def at(d, h=None, m=None):
    if h is None:
        h = rnd.randrange(8, 18)
    if m is None:
        m = rnd.randrange(60)
    return dt.datetime.combine(d, dt.time(h, m, rnd.randrange(60)), TZ)


def handler(dept):
    return "%s-H0%d" % (dept, rnd.randrange(3))


def day_at_edge(d):
    """a time on local date d, often near its midnight edges"""
    k = rnd.randrange(4)
    if k == 0:
        return dt.datetime.combine(d, dt.time(23, 59, 30), TZ)
    if k == 1:
        return dt.datetime.combine(d, dt.time(0, 0, 30), TZ)
    return at(d)


ncase = 0
wd_items = ["SC-XK-0101-510104", "SC-ZS-0501-510104", "SC-QZ-0602-510104", "SC-CJ-0804-510104",
            "SC-JF-0905-510104", "SC-QT-0999-510104", "SC-QR-0703-510104"]
d_items = ["SC-CF-0310-510104", "SC-CF-0422-510104"]
cases = []
for k in range(260):
    ncase += 1
    c = "X-C%d" % ncase
    item = rnd.choice(wd_items + d_items)
    it = cat[item]
    dept = it["dept"]
    p = it["limits"]["promised"]
    # acceptance: late August to late November
    if p["unit"] == "d":
        acc_day = dt.date(2026, 8, 25) + ONE * rnd.randrange(0, 75)
    elif p["n"] >= 30:
        acc_day = dt.date(2026, 9, 1) + ONE * rnd.randrange(0, 70)
    else:
        acc_day = dt.date(2026, 10, 10) + ONE * rnd.randrange(0, 48)
    t_acc = day_at_edge(acc_day)
    ev("case.accept", t_acc, case=c, item=item, dept=dept, handler=handler(dept))
    cases.append(c)
    # suspensions
    extra = 0
    t = t_acc
    for _ in range(rnd.choice([0, 0, 1, 1, 2])):
        s = t + dt.timedelta(hours=rnd.randrange(2, 24 * 8))
        if rnd.random() < 0.25:   # resumed the same day
            r = s + dt.timedelta(minutes=rnd.randrange(5, 120))
            if r.date() != s.date():
                r = s + dt.timedelta(minutes=1)
        else:
            r = s + dt.timedelta(hours=rnd.randrange(20, 24 * 6))
        ev("case.suspend", s, case=c, reason="专家评审")
        if rnd.random() < 0.9:
            ev("case.resume", r, case=c)
            extra += (r.date() - s.date()).days
        else:
            extra += 30
        t = r
    # extensions (only items that define one, same unit)
    capn = it["limits"].get("extension", {}).get("n", 0)
    cap_unit = it["limits"].get("extension", {}).get("unit")
    if capn and cap_unit == p["unit"] and rnd.random() < 0.4:
        for _ in range(rnd.choice([1, 1, 2])):
            nn = rnd.randrange(2, capn)
            te = t_acc + dt.timedelta(hours=rnd.randrange(24, 24 * 10))
            ev("case.extend", te, case=c, limit={"n": nn, "unit": p["unit"]}, approver="APPROVER-1")
            extra += nn * (1.5 if p["unit"] == "wd" else 1)
    # decision near the (unsuspended, unextended) due day, shifted
    due = cal.due(acc_day, p["n"], p["unit"])
    shift = rnd.choice([-3, -1, 0, 0, 1, 1, 2, 5]) + int(extra * rnd.random())
    dd = due + ONE * shift
    t_dec = day_at_edge(dd)
    if t_dec <= t_acc:
        t_dec = t_acc + dt.timedelta(hours=1)
    if t_dec > NOW_MAX:
        continue   # still open
    r = rnd.random()
    if r < 0.06:   # closed without decision
        ev("case.close", t_dec, case=c, result="撤回")
        continue
    if r < 0.1:    # closed (stops clocks), decided later
        ev("case.close", t_dec - dt.timedelta(days=2), case=c, result="中止")
    ev("case.decision", t_dec, case=c, outcome="grant" if it["category"] != "penalty" else "no_penalty",
       handler=handler(dept), basis=list(it["basis"][:1]))
    if rnd.random() < 0.8:
        ev("case.close", t_dec + dt.timedelta(minutes=5), case=c, result="办结")
    if rnd.random() < 0.6:
        tr = t_dec + dt.timedelta(hours=rnd.randrange(1, 24 * 5))
        if tr < NOW_MAX:
            ev("rating", tr, case=c, rating=rnd.randrange(1, 6), channel="sms")

# extensions approved only after the promised limit was used up (spec: ambiguous), decided
# within the extended limit
for k in range(6):
    c = "X-LATEEXT-%d" % k
    it = cat["SC-XK-0101-510104"]
    acc_day = dt.date(2026, 10, 12) + ONE * rnd.randrange(0, 30)
    t_acc = at(acc_day)
    ev("case.accept", t_acc, case=c, item=it["item"], dept=it["dept"], handler=handler(it["dept"]))
    due = cal.due(acc_day, 10, "wd")
    te = at(cal.next_workday(due + ONE * rnd.randrange(1, 3)))
    ev("case.extend", te, case=c, limit={"n": 8, "unit": "wd"}, approver="APPROVER-1")
    td = at(cal.next_workday(te.date() + ONE * 2))
    ev("case.decision", td, case=c, outcome="grant", handler=handler(it["dept"]), basis=list(it["basis"][:1]))

# decisions and ratings of cases never accepted (dept "?")
for k in range(25):
    c = "X-NOACC-%d" % k
    d = dt.date(2026, 10, 25) + ONE * rnd.randrange(0, 40)
    if rnd.random() < 0.5:
        ev("case.decision", day_at_edge(d), case=c, outcome="other", handler="NOBODY-1", basis=["x"])
    ev("rating", day_at_edge(d + ONE), case=c, rating=rnd.randrange(1, 6))

# complaints around the month edges
depts = sorted({it["dept"] for it in cat.values()})
for k in range(80):
    d = dt.date(2026, 10, 28) + ONE * rnd.randrange(0, 38)
    t = day_at_edge(d)
    kw = {"complaint": "X-Q%d" % k, "dept": rnd.choice(depts)}
    if rnd.random() < 0.3:
        kw["kind"] = rnd.choice(["complaint", "petition", "reconsideration"])
    if rnd.random() < 0.3:
        kw["case"] = rnd.choice(cases)
    if rnd.random() < 0.2:
        kw["limit"] = {"n": rnd.randrange(5, 30), "unit": "d"}
    ev("complaint.open", t, **kw)
    if rnd.random() < 0.5:
        ev("complaint.close", t + dt.timedelta(days=rnd.randrange(1, 20)), complaint=kw["complaint"], result="答复")

# cases accepted twice (docs/decisions.md, Scores, "A case accepted twice"): counted once, on
# the day and under the dept and item of the earliest acceptance by `at`; its decisions, ratings
# and limit follow that one. The two acceptances never share an `at` (so "the first stored among
# equal times" never matters, whatever the arrival order). Drawn from their own generator so the
# events above stay the same for a seed: every helper reads the global `rnd`, rebound here.
rnd = random.Random(int(sys.argv[1] if len(sys.argv) > 1 else 1) * 7919 + 4242)


def other_item(it, pool=wd_items + d_items):
    """a listed item of another dept"""
    return cat[rnd.choice([i for i in pool if cat[i]["dept"] != it["dept"]])]


def decide(c, it, dept, t):
    ev("case.decision", t, case=c, outcome="grant" if it["category"] != "penalty" else "no_penalty",
       handler=handler(dept), basis=list(it["basis"][:1]))
    if rnd.random() < 0.5:
        ev("case.close", t + dt.timedelta(minutes=5), case=c, result="办结")


def rate(c, t):
    ev("rating", t, case=c, rating=rnd.randrange(1, 6), channel="sms")


def nov(lo, hi):
    return dt.date(2026, 11, lo) + ONE * rnd.randrange(0, hi - lo + 1)


def accept(c, it, dept, t):
    ev("case.accept", t, case=c, item=it["item"], dept=dept, handler=handler(dept))


for k in range(8):
    c = "X-DUP-%d" % k
    if k == 0:     # the same item under another dept, earlier: counts unlisted, under that dept
        it1 = cat[rnd.choice(wd_items + d_items)]
        d2 = rnd.choice([d for d in depts if d != it1["dept"]])
        t1 = at(nov(5, 20))
        t2 = t1 - dt.timedelta(hours=rnd.randrange(20, 60))
        accept(c, it1, it1["dept"], t1)
        accept(c, it1, d2, t2)
        decide(c, it1, d2, t1 + ONE)      # within any limit from either acceptance
        rate(c, t1 + ONE * 2)
    elif k == 1:   # a 5 wd item of another dept, earlier: its limit runs out before the decision
        it1, it2 = cat["SC-QZ-0602-510104"], cat["SC-ZS-0501-510104"]
        t1 = at(nov(3, 12))
        t2 = t1 - dt.timedelta(hours=rnd.randrange(24, 72))
        accept(c, it1, it1["dept"], t1)
        accept(c, it2, it2["dept"], t2)
        decide(c, it2, it2["dept"], at(cal.due(t2.date(), 5, "wd") + ONE * rnd.randrange(1, 3)))
        rate(c, t1 + ONE * 12)
    elif k == 2:   # a 5 wd item first, a 20 wd item of another dept later: late by the first
        it1, it2 = cat["SC-QT-0999-510104"], cat["SC-JF-0905-510104"]
        t1 = at(nov(2, 12))
        t2 = t1 + dt.timedelta(hours=rnd.randrange(24, 72))
        accept(c, it1, it1["dept"], t1)
        accept(c, it2, it2["dept"], t2)
        decide(c, it1, it1["dept"], at(cal.due(t1.date(), 5, "wd") + ONE * rnd.randrange(1, 3)))
        rate(c, t2 + ONE * 10)
    elif k == 3:   # the same item under another dept, later: counts nothing
        it1 = cat[rnd.choice(wd_items)]
        d2 = rnd.choice([d for d in depts if d != it1["dept"]])
        t1 = at(dt.date(2026, 10, 20) + ONE * rnd.randrange(0, 25))
        t2 = t1 + dt.timedelta(hours=rnd.randrange(2, 24 * 5))
        accept(c, it1, it1["dept"], t1)
        accept(c, it1, d2, t2)
        p = it1["limits"]["promised"]
        decide(c, it1, it1["dept"], at(cal.due(t1.date(), p["n"], p["unit"]) + ONE * rnd.choice([-2, 0, 1, 2])))
    elif k == 4:   # another item of the same dept, earlier: the category and limit change
        it1, it2 = cat["SC-CF-0310-510104"], cat["SC-XK-0101-510104"]
        t1 = at(nov(4, 12))
        t2 = t1 - dt.timedelta(hours=rnd.randrange(20, 50))
        accept(c, it1, it1["dept"], t1)
        accept(c, it2, it2["dept"], t2)
        decide(c, it2, it2["dept"], at(cal.due(t2.date(), 10, "wd") + ONE * rnd.randrange(1, 4)))
        rate(c, t1 + ONE * 20)
    elif k == 5:   # accepted in November, and earlier in October under another dept: an October case
        it1 = cat[rnd.choice(wd_items)]
        it2 = other_item(it1, ["SC-QZ-0602-510104", "SC-CJ-0804-510104", "SC-QR-0703-510104", "SC-JF-0905-510104"])
        t1 = at(nov(2, 6))
        t2 = at(dt.date(2026, 10, 26) + ONE * rnd.randrange(0, 5))
        accept(c, it1, it1["dept"], t1)
        accept(c, it2, it2["dept"], t2)
        decide(c, it2, it2["dept"], t1 + ONE)
        rate(c, t1 + ONE * 3)
    elif k == 6:   # accepted late in November, again in December under another dept: a November case
        it1 = cat[rnd.choice(wd_items)]
        d2 = rnd.choice([d for d in depts if d != it1["dept"]])
        t1 = at(nov(23, 26))
        t2 = at(dt.date(2026, 12, 1) + ONE * rnd.randrange(0, 3))
        accept(c, it1, it1["dept"], t1)
        ev("case.accept", t2, case=c, item=rnd.choice([it1["item"], other_item(it1)["item"]]), dept=d2,
           handler=handler(d2))
        decide(c, it1, it1["dept"], at(dt.date(2026, 11, 28) + ONE * rnd.randrange(0, 3)))
    else:          # another dept's item minutes earlier, across midnight or not; rated, never decided
        it1 = cat[rnd.choice(wd_items)]
        it2 = other_item(it1)
        t1 = dt.datetime.combine(nov(3, 25), dt.time(0, rnd.randrange(0, 40), rnd.randrange(60)), TZ)
        if rnd.random() < 0.5:
            t1 += dt.timedelta(hours=rnd.randrange(9, 17))
        t2 = t1 - dt.timedelta(minutes=rnd.randrange(20, 90))
        accept(c, it1, it1["dept"], t1)
        accept(c, it2, it2["dept"], t2)
        rate(c, t1 + ONE * 2)
        rate(c, t1 + ONE * 4)

out.sort(key=lambda x: x[0])
for t, e in out:
    if t <= NOW_MAX:
        print(json.dumps(e, ensure_ascii=False))
