"""The officers' reach dashboard (plugins/reach): its charts, drawn at build time, and its
page, built from a reach report as ``python -m subscriber_lambda report --json`` writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from lxml import html as lxml_html
from markupsafe import Markup

from plugins.reach.charts import Series, bar_chart, fitted, line_chart, nice_ceiling
from plugins.reach.report import ReachFileError, load_reach, report_problems
from tests.sitebuilder import FIXTURE_WARDS, build, item

SVG = "{http://www.w3.org/2000/svg}"
WARDS = [line.split(",", 1)[0] for line in FIXTURE_WARDS.read_text().splitlines()[1:]]


def parsed_svg(markup: str) -> Any:
    """The chart as XML: well-formed, or this fails."""
    return etree.fromstring(markup.encode("utf-8"))


def texts(svg: Any) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text")]


# --- charts ------------------------------------------------------------------------------


def test_a_bar_chart_is_a_named_described_image_with_every_value_in_words() -> None:
    svg = parsed_svg(
        bar_chart(
            ["Email", "Text message"],
            [Series("Subscribers", [1200, 45])],
            "By channel",
            "Bars of subscribers by channel.",
            "c1",
        )
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title" and svg.get("aria-describedby") == "c1-desc"
    assert svg.find(f"{SVG}title").text == "By channel"
    assert svg.find(f"{SVG}desc").text == "Bars of subscribers by channel."
    assert svg.get("viewBox").startswith("0 0 600 ")
    assert texts(svg) == ["Email", "1,200", "Text message", "45"]
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("height") == "30"]
    assert widths[0] == 450.0 and widths[1] == pytest.approx(450 * 45 / 1200, abs=0.1)


def test_series_differ_by_pattern_and_legend_not_colour_alone() -> None:
    markup = bar_chart(
        ["Flood alert"],
        [
            Series("Within 1 minute", [0.5]),
            Series("Within 5 minutes", [0.9]),
            Series("Within 15 minutes", [None]),
        ],
        "Time to reach",
        "Shares.",
        "ttr",
        maximum=1,
        value_text=lambda v: f"{v:.0%}",
        missing="not measured",
    )
    svg = parsed_svg(markup)
    assert {"Within 1 minute", "Within 5 minutes", "Within 15 minutes"} <= set(texts(svg))
    assert [t for t in texts(svg) if t[0].isdigit() or t[0] == "n"] == [
        "50%",
        "90%",
        "not measured",
    ]
    assert 'fill="url(#ttr-fill-1)"' in markup and "<pattern" in markup
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("height") == "30"]
    assert [float(b.get("width")) for b in bars] == [225.0, 405.0]  # none for the null


def test_zero_and_empty_figures() -> None:
    assert bar_chart([], [Series("Subscribers", [])], "None", "Nothing.", "e") == ""
    assert line_chart([], [Series("Sent", [])], "None", "Nothing.", "e") == ""
    svg = parsed_svg(bar_chart(["Walmer"], [Series("Subscribers", [0])], "Zero", "Zero.", "z"))
    assert "0" in texts(svg) and not [r for r in svg.iter(f"{SVG}rect")]
    line = parsed_svg(line_chart(["1 May"], [Series("Sent", [0])], "One day", "Zero.", "o"))
    assert "1 May" in texts(line) and len(list(line.iter(f"{SVG}circle"))) == 1
    # Four gridlines at round numbers: whole ones for counts (a 4 sits on the line of 4).
    assert [nice_ceiling(v) for v in (0, 3, 5, 7, 120)] == [4, 4, 8, 8, 200]


def test_long_labels_are_cut_to_fit_and_escaped() -> None:
    long = "Aylesham, Eythorne and Shepherdswell & the villages around it, all of them"
    svg = parsed_svg(bar_chart([long], [Series("Subscribers", [3])], "<Wards>", "D.", "l"))
    label = texts(svg)[0]
    assert label.endswith("…") and long.startswith(label[:-1]) and len(label) < len(long)
    assert svg.find(f"{SVG}title").text == "<Wards>"
    assert fitted("Short", 600) == "Short"
    # A title cut, its channel kept; an escaped label cut as words, never inside an entity.
    cut = fitted(Markup("Flooding closes the roads at Sandwich &amp; Deal (Email)"), 200)
    assert cut.endswith("… (Email)") and "&" not in cut
    whole = fitted(Markup("Sandwich &amp; Deal (Email)"), 600)
    assert whole == "Sandwich & Deal (Email)"  # words, escaped once when drawn


def test_a_line_chart_puts_each_day_on_a_scale_from_zero() -> None:
    markup = line_chart(
        ["1 May", "2 May", "3 May"],
        [Series("Email", [10, 40, 20]), Series("Text message", [5, None, 0])],
        "Sent each day",
        "Lines.",
        "d",
    )
    svg = parsed_svg(markup)
    assert {"1 May", "3 May", "Email", "Text message", "0", "10", "40"} <= set(texts(svg))
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == 2 and lines[1].get("stroke-dasharray")  # dashed: not colour alone
    assert len(lines[0].get("points").split()) == 3 and len(lines[1].get("points").split()) == 2


# --- the report --------------------------------------------------------------------------


def reach_item(slug: str, channel: str, kind: str = "alerts", **figures: Any) -> dict[str, Any]:
    return {
        "id": f"{kind}/{slug}",
        "url": f"http://127.0.0.1:8000/{kind}/{slug}/",
        "title": slug.replace("-", " ").capitalize(),
        "type": kind,
        "published": "2026-11-27T09:00:00+00:00",
        "channel": channel,
        "recipients": 100,
        "sent": 98,
        "delivered": 95,
        "deferred": 1,
        "bounced": 2,
        "bounced_hard": 1,
        "bounced_soft": 1,
        "failed": 0,
        "complaints": 0,
        "unsubscribes": 3,
        "segments": None,
        "posts": None,
        "opens": None,
        "clicks": None,
        "first_sent": "2026-11-27T09:00:20+00:00",
        "last_sent": "2026-11-27T09:06:00+00:00",
        "within_1m": 0.42,
        "within_5m": 0.9,
        "within_15m": 1.0,
        **figures,
    }


def sample_report() -> dict[str, Any]:
    """Several channels, nulls where a channel measures nothing, and every ward."""
    return {
        "council": "Dover District Council",
        "generated": "2026-11-28T08:00:00+00:00",
        "since": "2026-11-01",
        "items": [
            reach_item("flood-warning", "email", opens=40, clicks=12),
            reach_item("flood-warning", "text", delivered=None, segments=196, sent=97),
            reach_item(
                "flood-warning",
                "social",
                recipients=0,
                sent=0,
                delivered=None,
                posts=2,
                within_1m=None,
                within_5m=None,
                within_15m=None,
                first_sent="2026-11-27T09:01:00+00:00",
                last_sent=None,
            ),
            reach_item("road-closed", "email", title=None, url=None, published=None),
            reach_item(
                "planning-1-high-street",
                "email",
                kind="notices",
                within_1m=None,
                within_5m=None,
                within_15m=None,
            ),
        ],
        "days": [
            {
                "date": d,
                "channel": c,
                "recipients": r,
                "sent": s,
                "deferred": 0,
                "bounced": b,
                "complaints": 0,
                "unsubscribes": 1,
            }
            for d, c, r, s, b in [
                ("2026-11-26", "email", 50, 50, 0),
                ("2026-11-27", "email", 300, 294, 6),
                ("2026-11-27", "text", 100, 97, 0),
                ("2026-11-28", "email", 7, 7, 0),
            ]
        ],
        "subscribers": {
            "total": 1234,
            "by_topic": {"alerts": 900, "notices": 400, "bin-changes": 0},
            "by_ward": {slug: 10 + i for i, slug in enumerate(WARDS)} | {"all": 300},
            "by_language": {"en": 1200, "cy": 30, "pl": 4},
            "by_channel": {"email": 1100, "text": 134},
            "by_frequency": {"immediate": 1000, "daily": 200, "weekly": 34},
            "suppressed": 17,
            "sign_ups": 400,
            "confirmations": 300,
            "confirmation_rate": 0.75,
            "growth": [
                {"date": "2026-11-27", "joined": 40, "left": 2},
                {"date": "2026-11-26", "joined": 5, "left": 0},
            ],
        },
    }


def test_a_wrong_report_names_the_file_and_each_problem(tmp_path: Path) -> None:
    report = sample_report()
    report["items"][1]["sent"] = "97"
    report["subscribers"]["by_ward"]["walmer"] = -1
    del report["days"][0]["channel"]
    report["items"][0].update(channel="pigeon", url="javascript:alert(1)", within_1m=7.5)
    report["subscribers"]["confirmation_rate"] = 1.25  # a period confirming older sign-ups
    assert report_problems(report) == [
        "items[0].url: should be a web address (https://...) or null",
        "items[0].channel: should be email, text or social",
        "items[0].within_1m: should be a share from 0 to 1 or null",
        "items[1].sent: should be a whole number",
        "days[0].channel: missing",
        "subscribers.by_ward: should be counts",
    ]
    path = tmp_path / "reach.json"
    path.write_text(json.dumps(report))
    with pytest.raises(ReachFileError, match=r"reach\.json: items\[1\]\.sent: should be"):
        load_reach(path, str(path))
    with pytest.raises(ReachFileError, match=r"missing\.json: REACH_FILE: no such file"):
        load_reach(tmp_path / "missing.json", str(tmp_path / "missing.json"))
    path.write_text("{not json")
    with pytest.raises(ReachFileError, match=r"reach\.json: REACH_FILE: not JSON"):
        load_reach(path, str(path))


# --- the page ----------------------------------------------------------------------------


def reach_site(root: Path, report: dict[str, Any] | None = None, **settings: Any) -> Path:
    path = root / "reach.json"
    path.write_text(json.dumps(report or sample_report()), encoding="utf-8")
    return build(root, {"alerts/flood.md": item("alerts")}, REACH_FILE=str(path), **settings)


@pytest.fixture(scope="module")
def reach_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reach_site(tmp_path_factory.mktemp("reach"))


def table_rows(page: Any, table_id: str) -> list[list[str]]:
    rows = page.xpath(f'//table[@id="{table_id}"]/tbody/tr')
    return [[" ".join(c.text_content().split()) for c in row] for row in rows]


def test_the_dashboard_gives_every_figure(reach_output: Path) -> None:
    page = lxml_html.parse(str(reach_output / "reach" / "index.html")).getroot()
    assert page.xpath('//meta[@name="robots"]/@content') == ["noindex"]
    assert not page.xpath("//*[@data-pagefind-body]")
    headline = [
        " ".join(r.text_content().split())
        for r in page.xpath('//dl[contains(@class, "council-headline")]/div')
    ]
    assert headline == [
        "Subscribers 1,234",
        "Confirmation rate 75% (300 of 400 sign-ups confirmed)",
        "Suppressed addresses and numbers 17",
        "Items sent 3",  # the flood warning, the road closure, the notice: not per channel
    ]
    reach = table_rows(page, "time-to-reach-table")
    assert reach[0] == [
        "Flood warning",
        "Email",
        "9am on 27 November 2026",
        "9am on 27 November 2026",
        "9:06am on 27 November 2026",
        "42%",
        "90%",
        "100%",
    ]
    assert reach[2][1:] == [
        "Social media",
        "9am on 27 November 2026",
        "9:01am on 27 November 2026",
        "not measured",
        "not measured",
        "not measured",
        "not measured",
    ]
    assert reach[3][:3] == ["alerts/road-closed", "Email", "not measured"]  # no title, no time
    assert len(reach) == 4  # alerts only
    items = table_rows(page, "items-table")
    assert items[0] == [
        "Flood warning",
        "Email",
        "100",
        "98",
        "95",
        "1",
        "2",
        "1",
        "1",
        "0",  # given up after retries
        "0",
        "3",
        "does not apply",  # a text's segments
        "does not apply",  # a post
        "40",
        "12",
    ]
    assert items[1][2:5] == ["100", "97", "not measured"] and items[1][12] == "196"
    assert items[2][13] == "2"  # posts
    days = table_rows(page, "days-table")
    assert days[0][:4] == ["26 November 2026", "Email", "50", "50"]
    assert [d[1] for d in days] == ["Email", "Email", "Text message", "Email"]
    charts = page.xpath("//svg")
    assert len(charts) == 8  # time to reach, days, five subscribers' counts, growth
    assert all(c.get("role") == "img" and c.find("title") is not None for c in charts)


def test_subscribers_are_named_as_residents_know_them(reach_output: Path) -> None:
    page = lxml_html.parse(str(reach_output / "reach" / "index.html")).getroot()

    def rows(heading_id: str) -> list[list[str]]:
        table = page.xpath(f'//h3[@id="{heading_id}"]/following-sibling::table[1]/tbody/tr')
        return [[" ".join(c.text_content().split()) for c in row] for row in table]

    assert rows("by-topic") == [
        ["Emergency alerts", "900"],
        ["Statutory notices", "400"],
        ["Bin collection changes", "0"],
    ]
    wards = rows("by-ward")
    assert len(wards) == len(WARDS) + 1 and wards[0] == ["Every ward", "300"]
    assert ["Aylesham, Eythorne and Shepherdswell", "11"] in wards
    assert rows("by-language") == [["English", "1,200"], ["Welsh", "30"], ["Polish", "4"]]
    assert rows("by-channel") == [["Email", "1,100"], ["Text message", "134"]]
    assert rows("by-frequency")[0] == ["As soon as published", "1,000"]
    growth = table_rows(page, "growth-table")
    assert growth == [["26 November 2026", "5", "0"], ["27 November 2026", "40", "2"]]


def test_the_dashboard_is_left_out_of_the_sitemap(reach_output: Path) -> None:
    sitemap = (reach_output / "sitemap.xml").read_text()
    assert "/reach/" not in sitemap and "/alerts/" in sitemap


def test_a_public_dashboard_is_listed_and_indexed(tmp_path: Path) -> None:
    output = reach_site(tmp_path, REACH_PUBLIC=True, REACH_SAVE_AS="figures/index.html")
    page = lxml_html.parse(str(output / "figures" / "index.html")).getroot()
    assert not page.xpath('//meta[@name="robots"]') and page.xpath("//*[@data-pagefind-body]")
    assert "/figures/" in (output / "sitemap.xml").read_text()


def test_without_a_reach_file_there_is_no_dashboard(tmp_path: Path) -> None:
    output = build(tmp_path, {"alerts/flood.md": item("alerts")})
    assert not (output / "reach").exists()


def test_a_bad_reach_file_stops_the_build_after_the_content_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = sample_report()
    report["subscribers"]["total"] = None
    with pytest.raises(ReachFileError, match=r"reach\.json: subscribers.total: should be a whole"):
        reach_site(tmp_path, report)
    assert not (tmp_path / "output" / "reach").exists()
    with pytest.raises(ReachFileError, match=r"nowhere\.json: REACH_FILE: no such file"):
        build(
            tmp_path / "again",
            {"alerts/flood.md": item("alerts")},
            REACH_FILE=str(tmp_path / "nowhere.json"),
        )


def test_content_problems_are_reported_before_the_reach_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        build(
            tmp_path,
            {"alerts/flood.md": item("alerts", drop=("Severity",))},
            REACH_FILE=str(tmp_path / "nowhere.json"),
        )
    assert not isinstance(stopped.value, ReachFileError)
    assert "alerts/flood.md: Severity:" in capsys.readouterr().err
