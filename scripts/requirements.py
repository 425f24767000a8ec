"""Print the dependencies declared in pyproject.toml, one a line, for ``pip install -r``.

pyproject.toml is the only list of dependencies. The project is an application, not a
distributable package (``packages = []``), so ``pip install .`` would build an empty wheel;
the Makefile and the Dockerfile install the declared requirements directly instead.

    python scripts/requirements.py            # runtime dependencies
    python scripts/requirements.py test bench # plus the named optional groups
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def requirements(extras: list[str]) -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    unknown = sorted(set(extras) - set(optional))
    if unknown:
        raise SystemExit(f"pyproject.toml has no optional dependencies named: {', '.join(unknown)}")
    lines = list(project.get("dependencies", []))
    for extra in extras:
        lines.extend(optional[extra])
    return lines


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1:])))
