"""What the criticism report quotes and counts, without a database: numbers masked in excerpts, the
overdue days of an item, and the rates' bases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hotline.reports.criticism import Item, anonymise, excerpt, figures

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("我的电话13905770123，请回电", "我的电话***********，请回电"),
        ("座机 0577-8888 6666 找张律师", "座机 ****-**** **** 找张律师"),
        ("身份证33030219900101123X", "身份证******************"),
        ("邮箱 zhang.san@example.com 谢谢", "邮箱 ***@*** 谢谢"),
        ("等了 30 分钟，分机8001 不接", "等了 30 分钟，分机8001 不接"),  # short numbers stay
        ("  两行\n\n文字  ", "两行 文字"),
    ],
)
def test_excerpts_mask_numbers_of_five_digits_or_more(text: str, quoted: str) -> None:
    assert anonymise(text) == quoted


def test_a_long_excerpt_is_cut_with_an_ellipsis() -> None:
    assert excerpt("很" * 200, 10) == "很" * 9 + "…"
    assert excerpt("短", 10) == "短"


def item(*, due: timedelta | None, replied: timedelta | None = None, upheld: bool | None = None) -> Item:
    return Item(
        number="YJ-1",
        channel="web",
        received_at=T0,
        state="replied" if replied else "assigned",
        category=None,
        target=None,
        target_name=None,
        text="",
        upheld=upheld,
        measure=None,
        due_at=T0 + due if due is not None else None,
        handled_at=None,
        replied_at=T0 + replied if replied is not None else None,
        assigned_to=None,
    )


def test_overdue_days_count_to_the_reply_or_to_now() -> None:
    now = T0 + timedelta(days=10)
    assert item(due=timedelta(days=7), replied=timedelta(days=6)).overdue_days(now) is None
    assert item(due=timedelta(days=7), replied=timedelta(days=8, hours=12)).overdue_days(now) == 1.5
    assert item(due=timedelta(days=7)).overdue_days(now) == 3.0
    assert item(due=timedelta(days=12)).overdue_days(now) is None  # not due yet
    assert item(due=None).overdue_days(now) is None


def test_rates_have_their_own_bases_and_none_without_one() -> None:
    now = T0 + timedelta(days=10)
    empty = figures([], now)
    assert (empty["received"], empty["upheld_rate"], empty["on_time_rate"], empty["reply_days"]) == (
        0,
        None,
        None,
        None,
    )
    items = [
        item(due=timedelta(days=7), replied=timedelta(days=2), upheld=True),
        item(due=timedelta(days=7), upheld=False),  # overdue, not replied
        item(due=timedelta(days=30)),  # not due: outside the on-time base, not handled
    ]
    got = figures(items, now)
    assert (got["handled"], got["upheld"], got["upheld_rate"]) == (2, 1, 0.5)
    assert (got["on_time_rate"], got["overdue_open"], got["replied_late"]) == (0.5, 1, 0)
    assert got["reply_days"] == 2.0
