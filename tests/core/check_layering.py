#!/usr/bin/env python3
"""check_layering.py — the dependency rules of docs/architecture.md, checked on every C file.

1. Layers: a file includes project headers only from its own layer or the layers below it
   (ALLOWED; a file's layer is the longest matching folder prefix in LAYERS).
2. No include cycle between headers.
3. No call cycle between .c files: the graph "file A calls a non-static function defined in
   file B" has no strongly connected component of two or more files (such a pair cannot be
   understood, tested or moved one without the other).
Exit 0 when clean; 1 with one line per violation.
"""
import os
import re
import sys

LAYERS = [  # (prefix, layer)
    ("harness/core/", "core"),
    ("tasks/", "tasks"),
    ("harness/oracle/", "oracle"),
    ("datasets/", "datasets"),
    ("harness/metrics/", "metrics"),
    ("methods/nn/", "nn"),
    ("methods/", "methods"),
    ("harness/report/", "report"),
    ("harness/run/", "run"),
    ("harness/cli/", "cli"),
]
ALLOWED = {
    "core": set(),
    "tasks": {"core"},
    "oracle": {"core", "tasks"},
    "datasets": {"core", "tasks"},
    "metrics": {"core", "tasks"},
    "nn": {"core"},
    "methods": {"core", "tasks", "oracle", "nn"},
    "report": {"core", "tasks", "metrics"},
    "run": {"core", "tasks", "oracle", "datasets", "metrics", "nn", "methods", "report"},
    "cli": {"core", "tasks", "oracle", "datasets", "metrics", "nn", "methods", "report", "run"},
}
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    best = None
    for prefix, layer in LAYERS:
        if path.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, layer)
    return best[1] if best else None


DEF = re.compile(r"^(?!static\b)[A-Za-z_][\w \*]*?\b([A-Za-z_]\w*)\s*\([^;{]*?\)\s*\{", re.M)
CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")


def call_cycles(root, cfiles):
    defs, srcs = {}, {}
    for f in cfiles:
        s = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
        s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
        s = re.sub(r'"(\\.|[^"\\])*"', '""', s)
        srcs[f] = s
        for m in DEF.finditer(s):
            defs.setdefault(m.group(1), f)
    graph = {f: set() for f in cfiles}
    for f, s in srcs.items():
        for m in CALL.finditer(s):
            d = defs.get(m.group(1))
            if d and d != f:
                graph[f].add(d)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v):  # Tarjan
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append("call cycle between files: " + ", ".join(sorted(comp)))

    sys.setrecursionlimit(100000)
    for v in sorted(cfiles):
        if v not in index:
            strong(v)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    files = []
    for top in ("harness", "tasks", "datasets", "methods"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(d, n), root))
    bad = []
    graph = {}
    for f in sorted(files):
        src = open(os.path.join(root, f), encoding="utf-8", errors="replace").read()
        lf = layer_of(f)
        deps = INC.findall(src)
        graph[f] = [h for h in deps if h.endswith(".h")]
        for h in deps:
            lh = layer_of(h)
            if lh is None or lh == lf:
                continue
            if lh not in ALLOWED[lf]:
                bad.append(f"{f}: includes {h} ({lf} may not depend on {lh}; docs/architecture.md)")
    # include cycles between headers
    state = {}

    def visit(n, stack):
        state[n] = 1
        for m in graph.get(n, []):
            if state.get(m) == 1:
                bad.append("include cycle: " + " -> ".join(stack[stack.index(m):] + [m]) if m in stack else m)
            elif m in graph and state.get(m) is None:
                visit(m, stack + [m])
        state[n] = 2

    for n in sorted(graph):
        if state.get(n) is None:
            visit(n, [n])
    bad += call_cycles(root, [f for f in files if f.endswith(".c")])
    for line in bad:
        print(line)
    print(f"check_layering: {len(files)} files, {len(bad)} violations")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
