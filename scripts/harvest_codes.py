#!/usr/bin/env python3
"""Adds to src/catalog/codes.toml the classification codes that real disclosures print in
their tables and the catalog does not know yet (政府收支分类科目 has no machine-readable
public copy we can fetch; this compiles it from the code–name pairs documents print).

    make codes     # runs examples/printed_codes over tests/real and sample_data, then this

Input (stdin): `code<TAB>name<TAB>file` lines. A code is added when its name is printed the
same way at least once without table-header residue, its parent code is known (or added), and
it is a function code (2xx) or a 部门预算经济分类 code (3xx). Added lines carry `# printed`
so they can be told from the edited ones; existing lines are never changed.
"""
import collections
import re
import sys

# Words of a table's header glued to a name by a PDF parser (`…支出项目一般公共预算支出功能分类科目编码`).
HEADER_WORDS = ("科目编码", "科目名称", "预算数", "决算数", "功能分类", "经济分类", "基本支出项目支出")


def clean(name):
    name = re.sub(r"\s+", "", name)
    return name


def main(path):
    text = open(path, encoding="utf-8").read()
    known = set(re.findall(r'^"(\d+)"', text, re.M))
    names = collections.defaultdict(collections.Counter)
    for line in sys.stdin:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            continue
        code, name = parts[0], clean(parts[1])
        if not re.fullmatch(r"[23]\d{2}(\d{2}){0,2}", code):
            continue
        if not name or len(name) > 30 or name in ("合计", "小计", "项目"):
            continue
        if any(w in name for w in HEADER_WORDS):
            continue
        if re.search(r"\d", name):
            continue
        names[code][name] += 1
    added = {}
    for code in sorted(names, key=len):
        if code in known:
            continue
        parent = code[:-2] if len(code) > 3 else None
        if parent and parent not in known and parent not in added:
            continue
        added[code] = names[code].most_common(1)[0][0]
    if not added:
        print("codes.toml: nothing to add", file=sys.stderr)
        return
    lines = text.split("\n")
    section = None
    out = []
    pending = {"function": sorted(c for c in added if c.startswith("2")),
               "economic": sorted(c for c in added if c.startswith("3"))}

    def flush_before(code_limit):
        queue = pending[section]
        while queue and (code_limit is None or queue[0] < code_limit):
            c = queue.pop(0)
            out.append(f'"{c}" = "{added[c]}"  # printed')

    for line in lines:
        header = re.match(r"^\[(\w+)\]", line)
        if header:
            if section in pending:
                flush_before(None)
            section = header.group(1)
            out.append(line)
            continue
        key = re.match(r'^"(\d+)"', line)
        if key and section in pending:
            flush_before(key.group(1))
        out.append(line)
    if section in pending:
        # the last section ends at the end of the file (before trailing blank lines)
        trailing = []
        while out and out[-1] == "":
            trailing.append(out.pop())
        flush_before(None)
        out.extend(trailing)
    open(path, "w", encoding="utf-8").write("\n".join(out))
    print(f"codes.toml: {len(added)} printed codes added", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
