"""The built site in a real browser: Debian's headless Chromium, driven by Playwright, reading
_build/html over HTTP from a server on 127.0.0.1. Screenshots of the chapters go to
_build/screenshots/. .ci/run installs Chromium when it is missing (see tests/site.py for when
these tests skip). Every page is audited with axe-core (axe-playwright-python), every rule on."""

import shutil
from urllib.parse import urljoin, urlparse

import pytest

from tests.local_server import serving
from tests.site import NOTEBOOKS, ROOT, SITE, require, require_site, toc_pages

require_site()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
require(CHROMIUM is not None, "Chromium is not installed", "apt-get install chromium (as .ci/run does)")
playwright_api = pytest.importorskip("playwright.sync_api")
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

SCREENSHOTS = ROOT / "_build" / "screenshots"
CHAPTERS = [f"notebooks/{p.stem}.html" for p in NOTEBOOKS]
# No network here: Chromium's own background traffic is switched off, and the site must not need any.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
# Sphinx's own pages beside the book's: a reader reaches them from every page's header.
PAGES = [*toc_pages(), "genindex.html", "search.html"]
# axe-core's impact levels that fail a page; "moderate" and "minor" are reported by the audit only.
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="module")
def site_url():
    with serving(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def visits(browser, site_url):
    """Every page, opened once: its console errors, images, links and axe-core's findings."""
    results = {}
    axe = axe_playwright.Axe()
    for path in PAGES:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors, failed = [], []
        page.on("console", lambda message: errors.append((message.text, message.location.get("url", "")))
                if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append((str(error), site_url)))
        page.on("requestfailed", lambda request: failed.append(request.url))
        response = page.goto(site_url + path, wait_until="load")
        images = page.eval_on_selector_all(
            "main img", "imgs => imgs.map(i => ({src: i.src, loaded: i.complete && i.naturalWidth > 0}))")
        links = page.eval_on_selector_all("a[href]", "anchors => anchors.map(a => a.href)")
        hidden_solutions = page.eval_on_selector_all(  # sphinx-togglebutton folds them to no height
            "div.solution.dropdown > section", "sections => sections.map(s => s.getBoundingClientRect().height === 0)")
        if path in CHAPTERS:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / path.replace("/", "_").replace(".html", ".png")), full_page=True)
        # This machine has no internet: a CDN's script (MathJax) cannot load, and its failure is not the
        # site's. Everything the site serves itself must load, and its own scripts must log no error.
        own_errors = [text for text, url in errors if url.startswith(site_url)]
        own_failures = [url for url in failed if url.startswith(site_url)]
        # After the page's own errors are read: axe-core fetches the stylesheets again to audit them, and
        # resolves theme.css's `@import "../basic.css"` against the site's root (a 404 that is axe's, not the site's).
        findings = [f"{v['id']} ({v['impact']}): {v['help']}, at {[n['target'] for n in v['nodes'][:3]]}"
                    f" and {max(0, len(v['nodes']) - 3)} more" for v in axe.run(page).response["violations"]
                    if v["impact"] in BLOCKING_IMPACTS]
        results[path] = {"status": response.status, "errors": own_errors + own_failures, "images": images,
                         "links": links,
                         "hidden_solutions": hidden_solutions, "html": page.content(), "accessibility": findings}
        page.close()
    return results


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_without_javascript_errors(visits, path):
    visit = visits[path]
    assert visit["status"] == 200
    assert visit["errors"] == [], f"console errors on {path}"


@pytest.mark.parametrize("path", PAGES)
def test_axe_core_finds_no_serious_or_critical_accessibility_violation(visits, path):
    findings = visits[path]["accessibility"]
    assert not findings, f"{path} fails axe-core's rules (WCAG and best practice):\n" + "\n".join(findings)


@pytest.mark.parametrize("path", CHAPTERS)
def test_every_chapter_shows_its_figures(visits, path):
    images = [image for image in visits[path]["images"] if "/_images/" in image["src"]]
    assert images, f"{path} shows no figures"
    broken = [image["src"] for image in images if not image["loaded"]]
    assert broken == [], f"images that did not load on {path}"


@pytest.mark.parametrize("path", toc_pages())
def test_internal_links_resolve(visits, site_url, path):
    missing = []
    for link in visits[path]["links"]:
        if not link.startswith(site_url):
            continue  # the repository, Colab, papers: outside this site
        target = urlparse(link).path.lstrip("/") or "index.html"
        if not (SITE / target).is_file():
            missing.append(link)
    assert missing == [], f"links to missing pages on {path}"


@pytest.mark.parametrize("path", CHAPTERS)
def test_solutions_are_folded_away(visits, path):
    hidden = visits[path]["hidden_solutions"]
    assert hidden and all(hidden), f"{path}: every solution starts collapsed"


@pytest.mark.parametrize("path", CHAPTERS)
def test_every_chapter_opens_in_colab(visits, path):
    notebook = path.replace(".html", ".ipynb")
    expected = urljoin("https://colab.research.google.com/github/modern-convnets/modern-convnets-course/blob/main/",
                       notebook)
    assert expected in visits[path]["html"]


def test_a_screenshot_of_every_chapter(visits):
    for path in CHAPTERS:
        shot = SCREENSHOTS / path.replace("/", "_").replace(".html", ".png")
        assert shot.stat().st_size > 10_000, shot
