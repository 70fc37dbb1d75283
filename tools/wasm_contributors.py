#!/usr/bin/env python3
"""What the client's WASM is made of: the top contributors by crate and the
largest single items, from `twiggy top --format csv` of the release build
*before* wasm-opt (the shipped file has no names to attribute by).

    twiggy top -n 1000000 --format csv app.wasm | wasm_contributors.py [N]

Sizes are of that unoptimized build: wasm-opt shrinks every crate, so read
the shares, not the bytes, against the shipped file. Names twiggy cannot
tie to a crate (closures called through a vtable, `elem[0]`) are counted as
"unattributed". Custom sections (names, wasm-bindgen's descriptors) are left
out: wasm-bindgen and wasm-opt strip them.
"""

import collections
import csv
import re
import sys

top_items = int(sys.argv[1]) if len(sys.argv) > 1 else 15
rows = list(csv.DictReader(sys.stdin))


def crate(name: str) -> str:
    if name.startswith("data segment"):
        return "data (.rodata: strings, tables)"
    # `<&mut serde_json::de::Deserializer<R> as …>::f`: the type's crate.
    name = re.sub(r"^<+(&mut |&|dyn |\*const |\*mut )*", "", name)
    head = name.split("::", 1)[0]
    # `<T as tachys::view::Render>::build`: a generic type, the trait's crate.
    if " as " in head:
        head = head.split(" as ", 1)[1]
    head = re.sub(r"\[[0-9a-f]+\]$", "", head)
    if "::" not in name or head in ("core", "alloc", "std") and "{{vtable.shim}}" in name:
        return "unattributed (closures, tables)"
    return head


by_crate = collections.Counter()
items = []
for row in rows:
    name, size = row["Name"], int(row["ShallowSize"])
    if name.startswith("custom section") or "function names" in name:
        continue
    by_crate[crate(name)] += size
    items.append((size, name))
total = sum(by_crate.values())
print(f"{'bytes':>9} {'share':>6}  crate (unoptimized build, {total} bytes of code and data)")
for name, size in by_crate.most_common(20):
    print(f"{size:9d} {100 * size / total:5.1f}%  {name}")
print(f"\n{'bytes':>9}  largest items")
for size, name in sorted(items, reverse=True)[:top_items]:
    print(f"{size:9d}  {name[:150]}")
