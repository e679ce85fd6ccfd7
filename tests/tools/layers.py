#!/usr/bin/env python3
"""The layers of shared/ hold: a module includes only from its own layer and the layers below it,
and no two modules include each other, directly or round a cycle (STYLE.md, "Layout").

    tests/tools/layers.py SOURCE_DIR

Layers, lowest first, are the folders of shared/ in the order below; a module is a .c/.h pair in
one of them. Includes of headers that are not modules (system, third-party) are ignored. Prints
every violation with the file and line, and exits 1 if there is any."""
import os
import re
import sys

LAYERS = ["base", "record", "trust", "judge", "uplink", "office"]
INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)\.h"')


def main(src):
    root = os.path.join(src, "shared")
    where = {}
    for i, layer in enumerate(LAYERS):
        for f in sorted(os.listdir(os.path.join(root, layer))):
            if f.endswith((".c", ".h")):
                where[f[:-2]] = (i, layer)
    stray = [f for f in os.listdir(root) if f.endswith((".c", ".h"))]
    bad = ["shared/%s: a module outside the layers %s" % (f, ", ".join(LAYERS)) for f in stray]
    uses = {m: set() for m in where}
    for m, (i, layer) in sorted(where.items()):
        for ext in (".c", ".h"):
            path = os.path.join(root, layer, m + ext)
            if not os.path.exists(path):
                continue
            for n, line in enumerate(open(path, encoding="utf-8"), 1):
                hit = INCLUDE.match(line)
                if not hit or hit.group(1) == m or hit.group(1) not in where:
                    continue
                inc = hit.group(1)
                uses[m].add(inc)
                if where[inc][0] > i:
                    bad.append("shared/%s/%s%s:%d: %s (%s) includes %s.h of the higher layer %s"
                               % (layer, m, ext, n, m, layer, inc, where[inc][1]))
    # cycles: a depth-first walk that meets a module still on its path
    state, path = {}, []

    def walk(m):
        state[m] = 1
        path.append(m)
        for n in sorted(uses[m]):
            if state.get(n) == 1:
                bad.append("include cycle: " + " -> ".join(path[path.index(n):] + [n]))
            elif n not in state:
                walk(n)
        path.pop()
        state[m] = 2

    for m in sorted(uses):
        if m not in state:
            walk(m)
    for line in bad:
        print(line)
    print("layers: %d modules in %d layers, %d problems" % (len(where), len(LAYERS), len(bad)),
          file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
