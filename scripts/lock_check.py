"""Check that requirements/*.txt still lock what pyproject.toml declares; offline, in milliseconds.

pyproject.toml declares the dependencies (runtime, and the optional groups ``test`` and
``bench``); ``make lock`` (pip-tools) resolves them into requirements/runtime.txt, test.txt and
bench.txt with exact versions and hashes. This check fails when someone edited one without the
other: a declared requirement missing from its lock file or pinned to a version it excludes, a pin
without a hash, or a runtime package pinned differently in test.txt or bench.txt than in
runtime.txt. The Makefile runs it before every install; the fix is ``make lock``.
"""
from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a new virtualenv has only pip, which carries its own copy
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"runtime": [], "test": ["test"], "bench": ["bench"]}  # lock file: the optional groups in it
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def read_lock(path: Path) -> tuple[dict[str, str], list[str]]:
    """The pins of a pip-compile output file, and the names of those that have no hash."""
    pins: dict[str, str] = {}
    unhashed: list[str] = []
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = match.group(2)
            unhashed.append(current)
        elif current and line.strip().startswith("--hash=") and unhashed and unhashed[-1] == current:
            unhashed.pop()
    return pins, unhashed


def problems() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project.get("optional-dependencies", {})
    found: list[str] = []
    locks: dict[str, dict[str, str]] = {}
    for name, groups in LOCKS.items():
        path = ROOT / "requirements" / f"{name}.txt"
        if not path.exists():
            found.append(f"{path.relative_to(ROOT)} is missing")
            continue
        pins, unhashed = read_lock(path)
        locks[name] = pins
        found += [f"{path.relative_to(ROOT)}: {package} has no --hash" for package in unhashed]
        declared = list(project.get("dependencies", []))
        for group in groups:
            declared += optional.get(group, [])
        for line in declared:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate():
                continue
            package = canonicalize_name(requirement.name)
            version = pins.get(package)
            if version is None:
                found.append(f"{path.relative_to(ROOT)}: {requirement} from pyproject.toml is not locked")
            elif not requirement.specifier.contains(version, prereleases=True):
                found.append(f"{path.relative_to(ROOT)}: {package}=={version} does not satisfy {requirement}")
    runtime = locks.get("runtime", {})
    for name, pins in locks.items():
        for package, version in runtime.items():
            if name != "runtime" and pins.get(package, version) != version:
                found.append(f"requirements/{name}.txt pins {package}=={pins[package]}, "
                             f"requirements/runtime.txt {package}=={version}")
    return found


if __name__ == "__main__":
    found = problems()
    if found:
        print("pyproject.toml and the lock files disagree:", *found, sep="\n  ", file=sys.stderr)
        sys.exit("Run `make lock` and commit requirements/ with pyproject.toml.")
