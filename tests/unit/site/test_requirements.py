"""requirements.txt (what we ask for) and requirements.lock (what the setup installs)."""

import re

from tests.conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)")


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (REPO / name).read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            package = re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")
            found[package] = match.group(2)
    return found


def test_every_requirement_is_pinned_and_locked_at_the_same_version():
    wanted, locked = pins("requirements.txt"), pins("requirements.lock")
    unpinned = [
        line
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not PIN.match(line.strip())
    ]
    assert unpinned == []
    mismatched = {
        name: (version, locked.get(name)) for name, version in wanted.items() if locked.get(name) != version
    }
    assert mismatched == {}


def test_the_lock_holds_one_opencv_build_the_headless_one():
    opencv = sorted(name for name in pins("requirements.lock") if name.startswith("opencv"))
    assert opencv == ["opencv-contrib-python-headless"]
