#!/usr/bin/env python3
"""Edit one tool body of a project written by generate.py: `edit.py DIR`.

Bumps by one the constant on the line of tool 0's body that carries the `// bench-edit` marker
(`a.wrapping_add(b).wrapping_add(1000)` becomes `...wrapping_add(1001)`), in place. Each call is
exactly one change to exactly one tool body, whatever the framework; the new constant is printed.
"""

from __future__ import annotations

import os
import re
import sys

MARKER = "// bench-edit"
CONSTANT = re.compile(r"wrapping_add\((\d+)\);")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    path = os.path.join(sys.argv[1], "src", "main.rs")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    hits = [i for i, line in enumerate(lines) if line.rstrip().endswith(MARKER)]
    if len(hits) != 1:
        print(f"{path}: expected one `{MARKER}` line, found {len(hits)}", file=sys.stderr)
        return 1
    i = hits[0]
    m = CONSTANT.search(lines[i])
    if m is None:
        print(f"{path}:{i + 1}: no constant to bump", file=sys.stderr)
        return 1
    new = int(m.group(1)) + 1
    lines[i] = lines[i][: m.start(1)] + str(new) + lines[i][m.end(1) :]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
