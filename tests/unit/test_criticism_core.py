"""Criticism's pure parts: the category the words suggest, the taxonomy file's checks, the
dialplan's event of a recorded criticism, and the flow steps that record one."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.ami import events as ev
from hotline.criticism.taxonomy import default_taxonomy, load_taxonomy
from hotline.errors import InvalidInputError
from hotline.ivr.service import load_ivr
from hotline.settings import Settings

TIMESTAMP = 1796000000.25


@pytest.mark.parametrize(
    ("text", "category", "words"),
    [
        ("律师态度很不耐烦，还挂电话", "attitude", ["态度", "不耐烦", "挂电话"]),
        ("打了三次都打不通，没人接", "waiting", ["打不通", "没人接"]),
        ("律师说错了法条，答非所问", "expertise", ["说错", "答非所问", "法条"]),
        ("谢谢你们", None, []),
    ],
)
def test_the_words_suggest_a_category(text: str, category: str | None, words: list[str]) -> None:
    assert default_taxonomy().suggest(text) == (category, words)


def test_a_tie_goes_to_the_category_listed_first() -> None:
    assert default_taxonomy().suggest("态度不好，排队太久")[0] == "attitude"  # 态度 / 排队: one each


def test_a_broken_taxonomy_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        "categories:\n  - {key: a, label: 甲, words: [x]}\n  - {key: a, label: 乙}\n"
        "  - {key: 'b c', label: 丙}\n  - {key: d, words: [y]}\n",
        encoding="utf-8",
    )
    with pytest.raises(InvalidInputError) as raised:
        load_taxonomy(path)
    assert raised.value.error_id == "criticism-taxonomy-invalid"
    assert [p.split(": ", 1)[1] for p in raised.value.details["problems"]] == [
        "category 'a': the key is used twice",
        "category 3: `key` must be letters, digits or - (at most 32)",
        "category 'd': `label` (the Chinese name) is missing",
    ]
    with pytest.raises(InvalidInputError) as unreadable:
        load_taxonomy(tmp_path / "missing.yaml")
    assert unreadable.value.error_id == "criticism-taxonomy-unreadable"


def test_a_recorded_criticism_decodes_with_the_caller_and_the_lawyer() -> None:
    message = {
        "Event": "UserEvent",
        "Privilege": "user,all",
        "Timestamp": str(TIMESTAMP),
        "Channel": "PJSIP/citizens-1",
        "ChannelState": "6",
        "ChannelStateDesc": "Up",
        "CallerIDNum": "+86 139-0577-0123",
        "Uniqueid": "9.1",
        "Linkedid": "9.1",
        "UserEvent": "HotlineCriticism",
        "HotlineFile": "9.1-after-rating",
        "HotlineKind": "after-rating",
        "HotlineLawyer": "8001",
    }
    event = ev.decode(ev.headers_of(message))
    assert event == ev.CriticismLeft(
        TIMESTAMP, "9.1", "9.1", "9.1-after-rating", "after-rating", "+8613905770123", "8001"
    )
    message["HotlineLawyer"] = ""
    assert ev.decode(ev.headers_of(message)).lawyer is None  # type: ignore[union-attr]


def test_the_shipped_flow_records_criticism_on_nine_and_after_a_poor_rating() -> None:
    (flow,) = load_ivr(Settings()).flows
    assert {o.key: o.next for o in flow.steps["topic"].options()}["9"] == "complaint"
    assert flow.steps["complaint"].type == flow.steps["poor-rating"].type == "criticism"
    assert flow.steps["rating"].settings["poor"] == "poor-rating"
    assert flow.steps["poor-rating"].prompt("offer") == "complaint-offer"
