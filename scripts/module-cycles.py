#!/usr/bin/env python3
"""Module cycles per crate: which source file uses which other.

For every crate under crates/ (and src-tauri), each `.rs` file under src/ is
one module. A module *uses* another when its code (inline `#[cfg(test)]`
modules left out) names it by path: `crate::a::b`, `super::x`, `self::x`,
or a child declared with `mod x;` (`x::f()`), in `use` lines and in
expressions alike. A path naming an item that the target module only
re-exports (`pub use child::Item;`) counts as a use of the module that
defines it, so `crate::ingest::Format` is a use of `ingest/format.rs`.
Declaring a child (`mod x;`) is not a use.

Prints each crate's cycles (strongly connected components with more than
one module) with the edges inside them and the place each edge comes from;
exits 1 when any crate has one. `--edges` prints every edge.

Usage: scripts/module-cycles.py [--edges] [crate-dir ...]
"""

import os
import re
import sys

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals (keeps line breaks)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and (i == 0 or not re.match(r"[A-Za-z0-9_]", text[i - 1])):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "'" and re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:]):
            m = re.match(r"'(\\.|[^\\'])'|'\\u\{[0-9a-fA-F]+\}'|'\\x[0-9a-fA-F]{2}'", text[i:])
            out.append(" " * len(m.group(0)))
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_inline_test_modules(code):
    """Removes `#[cfg(test)] mod x { ... }` blocks."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+" + IDENT + r"\s*\{", code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            if code[j] == "{":
                depth += 1
            elif code[j] == "}":
                depth -= 1
            j += 1
        code = code[: m.start()] + re.sub(r"[^\n]", " ", code[m.start() : j]) + code[j:]


def modules_of(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[-1] in ("mod",):
                rel = rel[:-1]
            if rel == ["main"] and os.path.exists(os.path.join(src, "lib.rs")):
                continue  # a binary over the library: its own crate
            if rel in (["lib"], ["main"]):
                rel = []
            mods[tuple(rel)] = path
    return mods


def use_trees(code):
    """Every `use` declaration's tree text, with its position."""
    for m in re.finditer(r"\buse\s+([^;]*);", code):
        yield m.start(), m.group(1)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [['a','b'], ['a','c','d'], ['a','c','e']]."""
    tree = re.sub(r"\s+", "", tree)

    def parse(s, i):
        # returns (list of paths, next index)
        paths = []
        cur = []
        tok = ""
        while i < len(s):
            c = s[i]
            if c == "{":
                inner, i = parse(s, i + 1)
                prefix = cur + ([tok] if tok else [])
                paths.extend(prefix + p for p in inner)
                cur, tok = [], ""
                continue
            if c == "}":
                if tok or cur:
                    paths.append(cur + ([tok] if tok else []))
                return paths, i + 1
            if c == ",":
                if tok or cur:
                    paths.append(cur + ([tok] if tok else []))
                cur, tok = [], ""
            elif s.startswith("::", i):
                cur.append(tok)
                tok = ""
                i += 2
                continue
            else:
                tok += c
            i += 1
        if tok or cur:
            paths.append(cur + ([tok] if tok else []))
        return paths, i

    out, _ = parse(tree, 0)
    return [[p.split(" as ")[0] for p in path if p] for path in out]


def main(argv):
    show_edges = "--edges" in argv
    dirs = [a for a in argv if not a.startswith("--")]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not dirs:
        dirs = sorted(
            os.path.join(repo, "crates", d)
            for d in os.listdir(os.path.join(repo, "crates"))
            if os.path.isdir(os.path.join(repo, "crates", d, "src"))
        )
        if os.path.isdir(os.path.join(repo, "src-tauri", "src")):
            dirs.append(os.path.join(repo, "src-tauri"))
    any_cycle = False
    for d in dirs:
        src = os.path.join(d, "src")
        mods = modules_of(src)
        codes = {}
        children = {}
        reexports = {}  # (module, name) -> module path it re-exports from
        for mod, path in mods.items():
            with open(path, encoding="utf-8") as fh:
                code = strip_inline_test_modules(strip_comments_and_strings(fh.read()))
            codes[mod] = code
            children[mod] = set(re.findall(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*;", code))
        # Binaries under src/bin and build-only files are separate roots; keep
        # only modules reachable from the crate root by `mod` declarations.
        reachable = {()}
        stack = [()]
        while stack:
            m = stack.pop()
            for c in children.get(m, ()):
                cm = m + (c,)
                if cm in mods and cm not in reachable:
                    reachable.add(cm)
                    stack.append(cm)
        mods = {m: p for m, p in mods.items() if m in reachable}

        def resolve(mod, parts):
            """An absolute path for `parts` as written in `mod`, or None."""
            if not parts:
                return None
            head = parts[0]
            if head == "crate":
                return list(parts[1:])
            if head == "self":
                return list(mod) + list(parts[1:])
            if head == "super":
                base = list(mod)
                rest = list(parts)
                while rest and rest[0] == "super":
                    if not base:
                        return None
                    base.pop()
                    rest.pop(0)
                return base + rest
            if head in children.get(mod, ()):
                return list(mod) + list(parts)
            return None

        for mod in mods:
            for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]*);", codes[mod]):
                for path in expand(m.group(1)):
                    absolute = resolve(mod, path)
                    if not absolute or len(absolute) < 2:
                        continue
                    target = tuple(absolute[:-1])
                    name = absolute[-1]
                    if target in mods:
                        if name == "*":
                            reexports.setdefault((mod, "*"), []).append(target)
                        else:
                            reexports[(mod, name)] = target

        def module_of(absolute, seen=()):
            """The file module a resolved path lands in."""
            best = None
            for k in range(len(absolute), -1, -1):
                if tuple(absolute[:k]) in mods:
                    best = tuple(absolute[:k])
                    rest = absolute[k:]
                    break
            if best is None:
                return None
            if rest:
                target = reexports.get((best, rest[0]))
                if target is not None and target not in seen:
                    return module_of(list(target) + rest, seen + (best,))
            return best

        edges = {}
        for mod in mods:
            code = codes[mod]
            paths = []
            for pos, tree in use_trees(code):
                for p in expand(tree):
                    paths.append((pos, p))
            body = re.sub(r"\buse\s+[^;]*;", lambda m: re.sub(r"[^\n]", " ", m.group(0)), code)
            for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:" + IDENT + r"::)+" + IDENT + ")", body):
                paths.append((m.start(), m.group(1).split("::")))
            for pos, p in paths:
                absolute = resolve(mod, p)
                if absolute is None:
                    continue
                target = module_of(absolute)
                if target is None or target == mod:
                    continue
                line = code.count("\n", 0, pos) + 1
                edges.setdefault((mod, target), f"{os.path.relpath(mods[mod], repo)}:{line}")

        graph = {m: set() for m in mods}
        for a, b in edges:
            graph[a].add(b)
        sccs = tarjan(graph)
        cycles = [sorted(s) for s in sccs if len(s) > 1]
        name = os.path.relpath(d, repo)
        show = lambda m: "::".join(m) or "(root)"
        if show_edges:
            for (a, b), where in sorted(edges.items()):
                print(f"{name}: {show(a)} -> {show(b)}  ({where})")
        if cycles:
            any_cycle = True
            for c in cycles:
                print(f"{name}: cycle among {', '.join(show(m) for m in c)}")
                for (a, b), where in sorted(edges.items()):
                    if a in c and b in c:
                        print(f"    {show(a)} -> {show(b)}  ({where})")
        else:
            print(f"{name}: no module cycles ({len(mods)} modules, {len(edges)} edges)")
    return 1 if any_cycle else 0


def tarjan(graph):
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
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
            out.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
