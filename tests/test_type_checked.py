"""mypy (in .ci/run and make lint) checks every service, query module (or package of them) and
the access policy."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checked_files():
    with open(ROOT / "pyproject.toml", "rb") as file:
        return set(tomllib.load(file)["tool"]["mypy"]["files"])


def test_every_services_and_queries_module_and_the_policy_are_type_checked():
    modules = {"accounts/policy.py"} | {
        path.relative_to(ROOT).as_posix()
        for pattern in ("*/services.py", "*/queries.py", "*/queries/*.py")
        for path in ROOT.glob(pattern)
        if not path.parts[-2].startswith(".")
    }
    missing = sorted(modules - checked_files())
    assert not missing, f"add to [tool.mypy] files in pyproject.toml (and type them): {missing}"


def test_every_type_checked_file_exists():
    gone = sorted(name for name in checked_files() if not (ROOT / name).is_file())
    assert not gone, f"[tool.mypy] files names modules that no longer exist: {gone}"
