"""Where the built site is, and whether tests of it run: shared by the tests of _build/html.

`make test` runs before any build, so without a site those tests skip; .ci/run builds the
book and then runs them with REQUIRE_BUILT_SITE=1, where a missing site (or browser) fails.
"""

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parent.parent
SITE = ROOT / "_build" / "html"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def require(condition: bool, what: str, remedy: str) -> None:
    """Skip the calling test module when ``condition`` fails, or fail it under REQUIRE_BUILT_SITE."""
    if condition:
        return
    if os.environ.get("REQUIRE_BUILT_SITE"):
        raise RuntimeError(f"{what}: {remedy}.")
    pytest.skip(f"{what} ({remedy})", allow_module_level=True)


def require_site() -> None:
    require(SITE.is_dir(), f"{SITE} is missing", "run `make book` first")


def toc_pages() -> list[str]:
    """Every page of _toc.yml, as paths of the built HTML relative to the site."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return [f"{name}.html" for name in files]
