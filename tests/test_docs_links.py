"""Docstrings, comments and Markdown name only repo-relative files the repository has.

A path such as ``docs/carriers.md``, ``carriers/FIDELITY.md`` or ``deploy/k8s/`` in a ``.py`` or
``.md`` file is read as relative to the repository root and must exist. Paths in another
repository are not ours to check: they are pinned to a commit (``path @ 0a3370e…``) or follow the
repository's ``owner/name``. Documents outside the repository are named as such
(``../shared/docs/…``) and are not matched.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("README.md", "manage.py", "tms_gateway", "carriers", "merchants", "tests", "deploy")
PREFIXES = ("docs", "deploy", "carriers")

# A repo-relative path: not inside a URL or a longer path; a file (a dot in its last part) or a
# folder (a trailing slash), so ``kubectl … deploy/tms-gateway-web`` (a Deployment) is no path.
PATH = re.compile(rf"(?<![\w/.~-])(?:{'|'.join(PREFIXES)})/[\w./-]*[\w/]")
PINNED = re.compile(r"^`?\s*@\s*[0-9a-f]{7,}")
OTHER_REPOSITORY = re.compile(r"(?<![\w/.-])(?P<owner>[\w-]+)/[\w.-]+[\s,·`(]*$")
OWN_FOLDERS = {"docs", "deploy", "carriers", "tests", "tms_gateway", "merchants"}

# (file, path) a file may name although the repository has no such path, and why.
ALLOWED = {
    # The runbook says where the issue wanted it and why it lives in deploy/ instead.
    ("deploy/operations.md", "docs/operations.md"),
}


def _files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [
                p
                for p in path.rglob("*")
                if p.suffix in {".py", ".md"}
                and "__pycache__" not in p.parts
                and p != Path(__file__).resolve()  # its examples are meant to be missing
            ]
    return sorted(files)


def _is_elsewhere(text: str, start: int, end: int) -> bool:
    """The path belongs to another repository (pinned to a commit, or after its owner/name)."""
    if PINNED.match(text[end : end + 60]):
        return True
    before = re.sub(r"\s*\n\s*(?:#:?|\*)?\s*", " ", text[max(0, start - 80) : start])
    owner = OTHER_REPOSITORY.search(before)
    return owner is not None and owner["owner"] not in OWN_FOLDERS


def repo_paths_missing() -> list[str]:
    missing = []
    for file in _files():
        text = file.read_text(encoding="utf-8")
        relative = file.relative_to(ROOT).as_posix()
        for match in PATH.finditer(text):
            path = match.group().rstrip(".")
            if "." not in path.rsplit("/", 1)[-1] and not path.endswith("/"):
                continue
            if (ROOT / path).exists() or (relative, path) in ALLOWED:
                continue
            if _is_elsewhere(text, match.start(), match.end()):
                continue
            line = text.count("\n", 0, match.start()) + 1
            missing.append(f"{relative}:{line}: {path}")
    return missing


def test_every_repo_relative_path_named_in_docs_and_docstrings_exists() -> None:
    assert repo_paths_missing() == []


def test_the_check_finds_a_missing_path_and_skips_other_repositories() -> None:
    text = (
        "See docs/carriers.md and carriers/FIDELITY.md.\n"
        "Joaqim/karrio docs/notes/postnord/live.md; K `docs/guides/lookups.md` @ 3c9d5c6d8946;\n"
        "https://example.com/docs/page.md, ../shared/docs/architecture.md, deploy/tms-gateway-web\n"
    )
    found = [m.group() for m in PATH.finditer(text) if not _is_elsewhere(text, m.start(), m.end())]

    assert found == ["docs/carriers.md", "carriers/FIDELITY.md", "deploy/tms-gateway-web"]


def test_the_allowed_exceptions_are_still_needed() -> None:
    for file, path in ALLOWED:
        assert path in (ROOT / file).read_text(encoding="utf-8"), (file, path)
        assert not (ROOT / path).exists(), path
