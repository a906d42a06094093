"""The documentation: the site builds under `mkdocs build --strict`, and its code runs.

* The site (`mkdocs.yml`, `docs/`) builds with no warning: a broken link or
  anchor, or a page missing from the nav, fails the build, and a test shows
  that it does.
* The ```python blocks of the README and of every page of `docs/` (the API
  reference has none of its own) run, a page's blocks in order in one fresh
  Python process, as a reader runs a guide top to bottom. A block preceded by
  the line `<!-- docs-test: skip -->` is left out: one that needs a server
  or a machine the tests do not have.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SKIP_MARKER = "<!-- docs-test: skip -->"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
PAGES = ["README.md"] + sorted(
    str(path.relative_to(ROOT)) for path in (ROOT / "docs").rglob("*.md")
    if "reference" not in path.parts
)


def python_blocks(text):
    """The ```python blocks of a Markdown text that are not marked to skip, in order."""
    blocks = []
    for fence in FENCE.finditer(text):
        if fence.group(1) != "python":
            continue
        before = text[: fence.start()].rstrip().rpartition("\n")[2].strip()
        if before != SKIP_MARKER:
            blocks.append(fence.group(2))
    return blocks


def page_script(page):
    blocks = python_blocks((ROOT / page).read_text(encoding="utf-8"))
    return "\n".join(f"# --- block {n} of {page}\n{block}" for n, block in enumerate(blocks, 1))


def run(command, cwd, timeout):
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_python_blocks_keeps_the_python_fences_not_marked_to_skip():
    text = "\n".join([
        "```python", "a = 1", "```", "```bash", "echo no", "```", SKIP_MARKER, "",
        "```python", "server()", "```", "```python", "b = a", "```",
    ])
    assert python_blocks(text) == ["a = 1\n", "b = a\n"]


def test_every_page_is_in_the_nav():
    """mkdocs --strict refuses a page outside the nav; this says which, without mkdocs."""
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w./-]+\.md)\s*$", nav, re.MULTILINE))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages == listed


@pytest.mark.slow
@pytest.mark.parametrize("page", [page for page in PAGES if python_blocks(
    (ROOT / page).read_text(encoding="utf-8"))])
def test_code_blocks_of_the_page_run(page, tmp_path):
    (tmp_path / "page.py").write_text(page_script(page), encoding="utf-8")
    done = run([sys.executable, "page.py"], cwd=tmp_path, timeout=600)
    assert done.returncode == 0, f"{page}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"


def needs_mkdocs():
    try:
        import material  # noqa: F401
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError as error:
        pytest.skip(
            f"the docs site needs MkDocs ({error}): pip install \"keras-pixelrnn[docs]\""
        )


def test_without_mkdocs_the_build_tests_skip_saying_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mkdocs", None)
    with pytest.raises(pytest.skip.Exception, match=r'pip install "keras-pixelrnn\[docs\]"'):
        needs_mkdocs()


def build(config, site):
    return run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent, timeout=300,
    )


@pytest.mark.slow
def test_site_builds_with_no_warning(tmp_path):
    needs_mkdocs()
    done = build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    layers = (tmp_path / "site" / "reference" / "layers" / "index.html").read_text("utf-8")
    assert "DiagonalBiLSTM" in layers and "Row LSTM layer of PixelRNN" in layers


def copy_of_the_site(folder):
    for name in ("mkdocs.yml", "CHANGELOG.md"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "docs", folder / "docs")
    return folder / "mkdocs.yml"


def break_a_link(docs):
    with open(docs / "index.md", "a", encoding="utf-8") as page:
        page.write("\nSee [a page that does not exist](guides/missing.md).\n")
    return "guides/missing.md"


def leave_a_page_out_of_the_nav(docs):
    (docs / "guides" / "orphan.md").write_text("# Not in the nav\n", encoding="utf-8")
    return "orphan.md"


def break_an_anchor(docs):
    with open(docs / "index.md", "a", encoding="utf-8") as page:
        page.write("\nSee [no such section](guides/layers.md#no-such-section).\n")
    return "no-such-section"


@pytest.mark.slow
@pytest.mark.parametrize("breakage", [break_a_link, leave_a_page_out_of_the_nav, break_an_anchor])
def test_strict_build_fails_on_a_broken_site(breakage, tmp_path):
    needs_mkdocs()
    config = copy_of_the_site(tmp_path)
    named = breakage(tmp_path / "docs")
    done = build(config, tmp_path / "site")
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-4000:]
    assert named in output and "Aborted" in output and "strict mode" in output, output[-4000:]
