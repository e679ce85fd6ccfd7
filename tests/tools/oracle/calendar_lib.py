"""Working-day calendar and time helpers, from shared/spec/events.md section 1 only."""
import os, datetime as dt

TZ = dt.timezone(dt.timedelta(hours=8))


class Calendar:
    def __init__(self, path):
        self.kind = {}
        for line in open(path, encoding="utf-8"):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            f = line.split("\t")
            self.kind[dt.date.fromisoformat(f[0])] = f[1]

    def is_workday(self, d):
        k = self.kind.get(d)
        if k == "holiday":
            return False
        if k == "workday":
            return True
        return d.weekday() < 5

    def next_workday(self, d):
        while not self.is_workday(d):
            d += dt.timedelta(days=1)
        return d

    def due(self, start, n, unit):
        """day on which a limit of n units started on `start` is used up (no suspension)"""
        d = start
        c = 0
        while c < n:
            d += dt.timedelta(days=1)
            if unit == "d" or self.is_workday(d):
                c += 1
        if unit == "d":
            d = self.next_workday(d)
        return d


def parse_at(v):
    """-> aware datetime in UTC+8 (Asia/Shanghai has no DST)"""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return dt.datetime.fromtimestamp(v / 1000.0, TZ)
    s = v
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    s = s.replace(":60", ":59") if False else s
    return dt.datetime.fromisoformat(s).astimezone(TZ)


def midnight_after(d):
    """the local instant at the end of local date d"""
    return dt.datetime.combine(d + dt.timedelta(days=1), dt.time(0), TZ)


if __name__ == "__main__":
    cal = Calendar(os.path.join(os.environ["JIANCHA_SOURCE"], "config/cn-workdays.tsv"))
    vec = [("2025-09-26", 20, "2025-10-30"), ("2025-09-26", 30, "2025-11-13"), ("2026-02-13", 5, "2026-02-27"),
           ("2024-09-27", 10, "2024-10-16"), ("2025-12-31", 1, "2026-01-04"), ("2026-04-30", 5, "2026-05-11")]
    for s, n, want in vec:
        got = cal.due(dt.date.fromisoformat(s), n, "wd").isoformat()
        print(s, n, want, got, "OK" if got == want else "FAIL")
