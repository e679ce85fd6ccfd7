#!/usr/bin/env python3
"""Feed a history into a fresh collector in one of several ways and compare its
`query scores --by dept --json` with oracle.py.
usage: run.py HISTORY MODE WORKDIR [--period YYYY-MM] [--seed S]
MODE: inorder | shuffled5 | holdback
"""
import argparse, json, os, random, shutil, signal, subprocess, sys, time
B = os.environ["JIANCHA_BIN"]
SRC = os.environ["JIANCHA_SOURCE"]
J = B + "/cli/jiancha"
COL = B + "/collector/jiancha-collector"
FIELDS = ["cases", "concluded", "on_time", "ratings", "ratings_good", "complaints"]


def sh(*a, **kw):
    return subprocess.run(a, capture_output=True, text=True, **kw)


class Collector:
    def __init__(self, w):
        self.w = w
        self.p = None
        os.makedirs(w + "/keys", exist_ok=True)
        if not os.path.exists(w + "/keys/510104.secret"):
            r = sh(J, "keys", "gen", "--node", "510104", "--out", w + "/keys")
            assert r.returncode == 0, r.stderr
        with open(w + "/collector.cfg", "w") as f:
            f.write(f"""collector
    node = 510104
    data = {w}/data
    key = {w}/keys/510104.secret
uplink
    endpoint = tcp://127.0.0.1:9
    heartbeat_ms = 1000
    timeout_ms = 1500
    ack_timeout_ms = 1000
    backoff_max_ms = 1000
rules
    catalog = {SRC}/config/catalog.json
    calendar = {SRC}/config/cn-workdays.tsv
counters
    interval_ms = 100
log
    level = info
""")

    def start(self):
        sock = self.w + "/data/intake.sock"
        if os.path.exists(sock):
            os.unlink(sock)
        self.log = open(self.w + "/collector.log", "a")
        self.p = subprocess.Popen([COL, "-c", self.w + "/collector.cfg"], stdout=self.log, stderr=self.log)
        for _ in range(200):
            if os.path.exists(sock):
                return
            time.sleep(0.05)
        raise SystemExit("collector did not come up")

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(timeout=60)
        self.p = None

    def send(self, path):
        r = sh(J, "send", "--data", self.w + "/data", path)
        return r

    def scores(self, period):
        r = sh(J, "query", "scores", "--data", self.w + "/data", "--period", period, "--by", "dept", "--json")
        if r.returncode != 0:
            return None, r.stderr
        return r.stdout, None


def settle(c, period, timeout=180):
    last = None
    same = 0
    t0 = time.time()
    while time.time() - t0 < timeout:
        out, err = c.scores(period)
        if out is not None and out == last:
            same += 1
            if same >= 2:       # 3 identical reads 1 s apart
                return out
        else:
            same = 0
        last = out
        time.sleep(1)
    return last


def write(path, lines):
    with open(path, "w") as f:
        f.writelines(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("history")
    ap.add_argument("mode")
    ap.add_argument("work")
    ap.add_argument("--period", default="2026-11")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    if os.path.exists(a.work):
        shutil.rmtree(a.work)
    os.makedirs(a.work)
    lines = [l for l in open(a.history) if l.strip()]
    c = Collector(a.work)
    c.start()
    pieces = []
    if a.mode == "inorder":
        pieces = [lines]
    elif a.mode == "shuffled5":
        l = lines[:]
        rnd.shuffle(l)
        k = len(l)
        cuts = sorted(rnd.sample(range(1, k), 4))
        b = [0] + cuts + [k]
        pieces = [l[b[i]:b[i + 1]] for i in range(5)]
    elif a.mode == "holdback":
        # 10% held back, biased to acceptances of cases that are decided
        evs = [json.loads(x) for x in lines]
        decided = {e["case"] for e in evs if e["type"] == "case.decision"}
        acc_idx = [i for i, e in enumerate(evs) if e["type"] == "case.accept" and e["case"] in decided]
        n_hold = len(lines) // 10
        hold = set(rnd.sample(acc_idx, min(len(acc_idx), n_hold // 2)))
        others = [i for i in range(len(lines)) if i not in hold]
        hold |= set(rnd.sample(others, n_hold - len(hold)))
        main_ = [lines[i] for i in range(len(lines)) if i not in hold]
        late = [lines[i] for i in sorted(hold)]
        rnd.shuffle(late)
        pieces = [main_, late]
    elif a.mode == "clockhold":
        # the clock-changing events (suspend, resume, extend, close) and some acceptances and
        # decisions arrive last, after the collector has judged and counted without them
        evs = [json.loads(x) for x in lines]
        hold = set()
        for i, e in enumerate(evs):
            t = e["type"]
            if t in ("case.suspend", "case.resume", "case.extend", "case.close") and rnd.random() < 0.6:
                hold.add(i)
            elif t in ("case.accept", "case.decision") and rnd.random() < 0.1:
                hold.add(i)
        main_ = [lines[i] for i in range(len(lines)) if i not in hold]
        late = [lines[i] for i in sorted(hold)]
        rnd.shuffle(late)
        k = len(late) // 3
        pieces = [main_, late[:k], late[k:2 * k], late[2 * k:]]
    elif a.mode == "dup":
        l = lines[:]
        rnd.shuffle(l)
        half = len(l) // 2
        again = rnd.sample(l[:half], half // 2)
        pieces = [l[:half], again + l[half:], rnd.sample(l, len(l) // 5)]
    else:
        raise SystemExit("unknown mode")
    for i, p in enumerate(pieces):
        path = f"{a.work}/piece{i}.jsonl"
        write(path, p)
        r = c.send(path)
        with open(a.work + "/send.log", "a") as f:
            f.write(f"== piece {i} ({len(p)} lines) rc={r.returncode}\n{r.stdout}{r.stderr}\n")
        if a.mode == "shuffled5" and i < len(pieces) - 1:
            time.sleep(rnd.choice([0.05, 0.5, 2]))
            c.stop()
            c.start()
        elif a.mode in ("holdback", "clockhold") and i < len(pieces) - 1:
            settle(c, a.period)       # let it catch up before the late events
    got = settle(c, a.period)
    c.stop()
    with open(a.work + "/scores.jsonl", "w") as f:
        f.write(got or "")
    exp = sh(sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle.py"), a.history, a.period).stdout
    with open(a.work + "/oracle.jsonl", "w") as f:
        f.write(exp)
    E = {o["dept"]: o for o in map(json.loads, exp.splitlines())}
    G = {}
    for l in (got or "").splitlines():
        o = json.loads(l)
        G[o["key"].split("/", 1)[1]] = o
    bad = 0
    bad_depts = set()
    for d in sorted(set(E) | set(G)):
        e = E.get(d, {})
        g = G.get(d, {})
        for f in FIELDS:
            ev, gv = e.get(f, 0), g.get(f, 0)
            if ev != gv:
                bad += 1
                bad_depts.add(d)
                extra = f" (oracle on_time_alt={e.get('on_time_alt')})" if f == "on_time" else ""
                print(f"MISMATCH mode={a.mode} dept={d} {f}: expected {ev} got {gv}{extra}")
    if bad:
        # the oracle's reading of the cases accepted twice that name a dept that differs
        ex = sh(sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle.py"),
                a.history, a.period, "--explain").stdout
        with open(a.work + "/oracle-explain.jsonl", "w") as f:
            f.write(ex)
        shown = set()
        for o in map(json.loads, ex.splitlines()):
            if o["dept"] not in bad_depts:
                continue
            for x in o.get("twice_accepted", []):
                if x["case"] not in shown:
                    shown.add(x["case"])
                    print(f"EXPLAIN mode={a.mode} dept={o['dept']} " + json.dumps(x, ensure_ascii=False))
    print(f"mode={a.mode} depts={len(E)} mismatches={bad}")


if __name__ == "__main__":
    main()
