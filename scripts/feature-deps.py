#!/usr/bin/env python3
"""Dependency matrix of the folders under HappiTrack.Web/Features, from their
`using HappiTrack.Web.Features.X` directives (plain, static, alias and global).

    python3 scripts/feature-deps.py

Prints a Markdown matrix (row uses column), how many other features each folder uses,
the pairs that use each other, and every group of folders in one cycle. The build's
check is HappiTrack.Web.Tests/Architecture/FeatureGraphTests, which also counts fully
qualified names; this script is the quick view the docs quote.
"""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent / "HappiTrack.Web" / "Features"
using = re.compile(r"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?HappiTrack\.Web\.Features\.(\w+)", re.M)

features = sorted(d.name for d in root.iterdir() if d.is_dir() and any(d.rglob("*.cs")))
uses = {f: set() for f in features}
for f in features:
    for path in (root / f).rglob("*.cs"):
        if {"bin", "obj"} & set(path.parts):
            continue
        for target in using.findall(path.read_text(encoding="utf-8")):
            if target != f and target in uses:
                uses[f].add(target)

print("| uses → | " + " | ".join(features) + " | total |")
print("|---" * (len(features) + 2) + "|")
for f in features:
    cells = ["x" if t in uses[f] else ("·" if t != f else "—") for t in features]
    print(f"| **{f}** | " + " | ".join(cells) + f" | {len(uses[f])} |")

mutual = sorted((a, b) for a in features for b in uses[a] if a < b and a in uses[b])
print(f"\nMutually importing pairs: {len(mutual)}" + ("" if not mutual else ": " + ", ".join(f"{a}↔{b}" for a, b in mutual)))

# Tarjan's strongly connected components: a component of more than one folder is a cycle.
index, low, stack, on_stack, cycles = {}, {}, [], set(), []
sys.setrecursionlimit(10_000)

def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on_stack.add(v)
    for w in sorted(uses[v]):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            component.append(w)
            if w == v:
                break
        if len(component) > 1:
            cycles.append(sorted(component))

for f in features:
    if f not in index:
        visit(f)
print(f"Folders: {len(features)}; cycles: {len(cycles)}" + "".join(f"\n  cycle of {len(c)}: {', '.join(c)}" for c in cycles))
