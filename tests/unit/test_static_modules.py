"""The pages' JavaScript is native ES modules (no build step) with one place for each shared concern:
only http.js sends requests (with the CSRF header) and words their errors, only format.js formats
times and numbers; every module is loaded by a page, every import names a module that exists.
Vendored libraries (static/vendor/) keep their version, origin and licenses beside them and are
package data. The browser tests (tests/web) show the pages work; these read the files."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from hotline.web.pages import STATIC_DIR

TEMPLATES = STATIC_DIR.with_name("templates")
IMPORT = re.compile(r'^import\s[^;]*?\sfrom\s"\./([a-z-]+\.js)";', re.MULTILINE)
VENDOR_IMPORT = re.compile(r'^import\s[^;]*?\sfrom\s"\./(vendor/[a-z0-9./-]+\.js)";', re.MULTILINE)
VENDOR_DIR = STATIC_DIR / "vendor"
PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"
SCRIPT = re.compile(r"<script\b([^>]*)>")
# What only one module may do: pattern -> the module.
OWNED = {
    r"\bfetch\(": "http.js",
    r"csrf-token|X-CSRF-Token": "http.js",
    r"message_zh": "http.js",
    r"\.toLocale\w*String\(": "format.js",
    r"new EventSource\(": "live.js",
}


def modules() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(STATIC_DIR.glob("*.js"))}


def entry_points() -> set[str]:
    entries = set()
    for template in TEMPLATES.glob("*.html"):
        for attributes in SCRIPT.findall(template.read_text()):
            if 'type="application/json"' in attributes:
                continue
            assert 'type="module"' in attributes, (template.name, attributes)
            (source,) = re.findall(r'src="/static/([a-z-]+\.js)"', attributes)
            entries.add(source)
    return entries


def test_every_import_names_a_module_and_every_module_is_loaded() -> None:
    sources = modules()
    entries = entry_points()
    assert entries == {
        "admin.js",
        "criticism.js",
        "desk.js",
        "reports.js",
        "review.js",
        "video.js",
        "wallboard.js",
    }
    loaded, todo = set(), list(entries)
    while todo:
        name = todo.pop()
        if name in loaded:
            continue
        assert name in sources, f"{name} is imported but not in {STATIC_DIR}"
        loaded.add(name)
        todo.extend(IMPORT.findall(sources[name]))
    assert loaded == set(sources), f"not loaded by any page: {set(sources) - loaded}"


def test_requests_errors_and_formats_have_one_home() -> None:
    for name, text in modules().items():
        assert '"use strict"' not in text, name  # modules are strict already
        assert "window.Hotline" not in text and "window.HOTLINE" not in text, name
        for pattern, home in OWNED.items():
            if name != home:
                assert not re.search(pattern, text), f"{name} does what {home} is for ({pattern})"
    folders = [path.name for path in STATIC_DIR.iterdir() if path.is_dir()]
    assert folders == ["vendor"], "keep static/ flat but for vendor/: the package data is web/static/*"


def test_vendored_libraries_are_imported_licensed_and_packaged() -> None:
    imported = {path for text in modules().values() for path in VENDOR_IMPORT.findall(text)}
    assert imported == {"vendor/echarts/echarts.esm.min.js", "vendor/jssip/jssip.esm.min.js"}
    package_data = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-data"]["hotline"]
    for library in VENDOR_DIR.iterdir():
        files = {path.name for path in library.iterdir()}
        assert {"README.md", "LICENSE"} <= files, library.name
        assert all(path.is_file() for path in library.iterdir()), "one folder per library, flat"
        assert f"web/static/vendor/{library.name}/*" in package_data, library.name
    for path in imported:
        assert (STATIC_DIR / path).is_file(), path
    libraries = {library.name for library in VENDOR_DIR.iterdir()}
    assert {path.split("/")[1] for path in imported} == libraries, "every vendored library is used"
