"""Raw HTML in an officer's Markdown cannot break a page or put markup on it that runs:
the text is sanitised to GOV.UK typography, and each removal is a warning naming the line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from plugins.sanitise.policy import clean
from tests.sitebuilder import ROOT, build, item, read, write_content

RAW_HTML = item(
    "notices",
    Slug="raw",
    body="""
    The road closes on **Monday**.<script>alert("hi")</script>

    <p onclick="steal()">Read <a href="javascript:alert(1)">the order</a>.</p>
    <!-- internal: check with legal -->
    ![Diversion map](map.png)

    | Road | From |
    |:-----|-----:|
    | Mill Lane | 11 January |

    </div></main>
    """,
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("sanitise")
    with pytest.MonkeyPatch.context() as patch:
        warnings: list[str] = []
        patch.setattr(
            "plugins.sanitise.print_problems", lambda found: warnings.extend(map(str, found))
        )
        output = build(root, {"notices/raw.md": RAW_HTML})
    return output, "\n".join(w.replace(str(root / "content"), "content") for w in warnings)


def test_nothing_that_runs_reaches_the_page(built: tuple[Path, str]) -> None:
    body = read(built[0], "/notices/raw/").split('class="council-body">')[1].split("</div>")[0]
    assert "<script" not in body and "alert" not in body
    assert "onclick" not in body and "javascript:" not in body
    assert "internal: check" not in body and "<img" not in body
    assert "<p>The road closes on <strong>Monday</strong>.</p>" in body
    assert '<th style="text-align:left">Road</th>' in body


def test_stray_closing_tags_cannot_end_the_page_early(built: tuple[Path, str]) -> None:
    page = read(built[0], "/notices/raw/")
    assert page.count("</main>") == 1
    assert page.index("Mill Lane") < page.index("</main>") < page.index("<footer")


def test_each_removal_is_a_warning_naming_the_line(built: tuple[Path, str]) -> None:
    path = "content/notices/raw.md: Text: warning:"
    assert built[1].splitlines() == [
        f"{path} line 10: <script> is not allowed and was removed with everything in it",
        f"{path} line 14: pictures are not published, so the <img> was removed; link to the "
        "picture instead",
        f"{path} line 12: the onclick attribute on <p> is not allowed and was removed",
        f"{path} line 12: the link to 'javascript:alert(1)' was removed: links must start with "
        "https://, http:// or mailto:, or go to a page of this site",
        f"{path} line 13: an HTML comment was removed (comments are never published)",
        f"{path} line 20: a closing </div> with no opening tag was removed",
        f"{path} line 20: a closing </main> with no opening tag was removed",
    ]


@pytest.mark.parametrize(
    "html",
    [
        '<p>See <a href="https://www.gov.uk/">GOV.UK</a>, <a href="mailto:a@example.org">us</a>'
        ' or <a href="/notices/">notices</a>.</p>',
        "<h2>Heading</h2>\n<ul>\n<li>one</li>\n</ul>\n<blockquote>\n<p>quoted</p>\n</blockquote>",
        '<p><abbr title="Traffic Regulation Order">TRO</abbr><br>\n<em>a</em></p>\n<hr>',
        '<pre><code class="language-text">code\n</code></pre>',
    ],
)
def test_govuk_typography_passes_unchanged(html: str) -> None:
    assert clean(html) == html


def test_validate_gives_the_same_warnings_before_anything_is_built(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"notices/raw.md": RAW_HTML})
    result = subprocess.run(
        [sys.executable, "-m", "noticeboard.validate", str(content)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{content}/notices/raw.md: Text: warning: line 10: <script> is not allowed" in (
        result.stderr
    )
    assert result.stdout == "1 content file checked; no problems, 7 warnings.\n"
