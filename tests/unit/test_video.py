"""Video consultations (hotline/video): an endpoint lent per consultation with a short-lived
credential, the abuse limits per address and number, the call followed from its events (the page's
states), the endpoint locked again when the call ends or was never placed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.ami import events as ev
from hotline.errors import HotlineError
from hotline.ivr.catalog import load_catalog
from hotline.settings import AsteriskSettings, Settings, VideoSettings
from hotline.video.limits import SlidingWindow
from hotline.video.service import VideoConsultations
from tests.helpers import ManualClock

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TOPICS = Path(__file__).resolve().parents[2] / "ivr_flows" / "topics.yaml"


@pytest.fixture
def video(tmp_path: Path) -> tuple[VideoConsultations, list[str], ManualClock]:
    settings = Settings(
        state_dir=tmp_path,
        asterisk=AsteriskSettings(root=tmp_path / "no-root"),
        video=VideoSettings(slots=2, join_seconds=60, per_address_per_hour=3, per_number_per_day=2),
    )
    written: list[str] = []
    clock = ManualClock(NOW)
    return VideoConsultations(settings, load_catalog(TOPICS), clock, cli=written.append), written, clock


def test_a_sliding_window_counts_only_recent_starts() -> None:
    window = SlidingWindow(2, timedelta(hours=1))
    for _ in range(2):
        assert window.allows("a", NOW)
        window.add("a", NOW)
    assert not window.allows("a", NOW + timedelta(minutes=59))
    assert window.allows("b", NOW)
    assert window.allows("a", NOW + timedelta(hours=1))
    window.forget_idle(NOW + timedelta(hours=1))
    assert window.allows("a", NOW + timedelta(hours=1))


async def test_a_consultation_lends_an_endpoint_with_the_number_and_topic(
    video: tuple[VideoConsultations, list[str], ManualClock],
) -> None:
    service, written, _clock = video
    consultation, credential = await service.start("138-0000-0001", "labour", "address-a")
    assert (consultation.slot, consultation.number, consultation.state) == ("video-1", "13800000001", "ready")
    assert written[0] == "database put hotline-video video-1 13800000001:labour"
    assert (
        written[1].startswith("database put hotline-webphone/auth video-1-web ")
        and credential.ha1 in written[1]
    )
    assert service.sip_uri("video-1") == "sip:video-1@127.0.0.1" and service.target == "sip:consult@127.0.0.1"
    assert service.get(consultation.id, consultation.token) is consultation
    with pytest.raises(HotlineError) as wrong:
        service.get(consultation.id, "someone-else's-guess")
    assert wrong.value.error_id == "video-not-found" and wrong.value.status == 404


@pytest.mark.parametrize(
    ("number", "topic", "error_id"),
    [
        ("12", "labour", "video-number-invalid"),
        ("没有号码", "labour", "video-number-invalid"),
        ("13800000001", "astrology", "video-topic-unknown"),
    ],
)
async def test_bad_input_is_refused_plainly_and_lends_nothing(
    video: tuple[VideoConsultations, list[str], ManualClock], number: str, topic: str, error_id: str
) -> None:
    service, written, _clock = video
    with pytest.raises(HotlineError) as refused:
        await service.start(number, topic, "address-a")
    assert refused.value.error_id == error_id and refused.value.status == 422
    assert written == []


async def test_abuse_limits_per_address_and_number_and_all_lines_busy(
    video: tuple[VideoConsultations, list[str], ManualClock],
) -> None:
    service, _written, clock = video
    first, _ = await service.start("13800000001", "labour", "address-a")
    second, _ = await service.start("13800000001", "labour", "address-b")
    with pytest.raises(HotlineError) as number_limit:  # 2 a day for one number
        await service.start("13800000001", "labour", "address-c")
    assert number_limit.value.error_id == "video-number-limit" and number_limit.value.status == 429
    with pytest.raises(HotlineError) as full:  # both endpoints lent
        await service.start("13800000002", "labour", "address-c")
    assert full.value.error_id == "video-full" and full.value.status == 503

    # Neither page calls: after join_seconds their endpoints are locked and lent again.
    clock.advance(timedelta(seconds=60))
    assert set(await service.expire()) == {first.id, second.id}
    third, _ = await service.start("13800000002", "labour", "address-a")
    fourth, _ = await service.start("13800000003", "labour", "address-a")
    assert {third.slot, fourth.slot} == {"video-1", "video-2"}
    clock.advance(timedelta(seconds=60))
    assert set(await service.expire()) == {third.id, fourth.id}
    with pytest.raises(HotlineError) as address_limit:  # 3 an hour from one address
        await service.start("13800000004", "labour", "address-a")
    assert address_limit.value.error_id == "video-address-limit" and address_limit.value.status == 429
    clock.advance(timedelta(hours=1))
    await service.start("13800000004", "labour", "address-a")


async def test_the_page_follows_its_call_and_the_endpoint_is_locked_when_it_ends(
    video: tuple[VideoConsultations, list[str], ManualClock],
) -> None:
    service, written, _clock = video
    consultation, credential = await service.start("13800000001", "other", "address-a")
    at = NOW.timestamp()
    service.on_event(
        ev.ChannelCreated(at, "1.1", "1.1", "PJSIP/video-1-00000001", "video-1", "hotline-video", "consult")
    )
    assert consultation.state == "waiting"
    service.on_event(ev.QueueCallerJoined(at, "1.1", "1.1", "other-video", 2, "13800000001"))
    assert consultation.position == 2
    service.on_event(ev.AgentConnected(at, "1.1", "1.1", "other-video", "8001", "PJSIP/8001", 4))
    assert (consultation.state, consultation.lawyer, consultation.position) == ("talking", "8001", None)
    # Another call's events change nothing.
    service.on_event(ev.CallerRated(at, "2.1", "2.1", 1))
    service.on_event(ev.AgentCompleted(at, "1.1", "1.1", "other-video", "8001", "PJSIP/8001", 4, 60, "agent"))
    assert consultation.state == "rating"
    service.on_event(ev.CallerRated(at, "1.1", "1.1", 5))
    assert consultation.rating == 5
    written.clear()
    service.on_event(ev.ChannelHungUp(at, "1.1", "1.1", "PJSIP/video-1-00000001", 16))
    await service.settled()
    assert consultation.state == "ended"
    assert written[0] == "database deltree hotline-video video-1"
    assert written[1].startswith("database put hotline-webphone/auth video-1-web ")
    assert credential.ha1 not in written[1]  # locked: the page's credential is refused from now on


async def test_switched_off_video_lends_nothing(tmp_path: Path) -> None:
    settings = Settings(
        state_dir=tmp_path, asterisk=AsteriskSettings(root=tmp_path), video=VideoSettings(enabled=False)
    )
    written: list[str] = []
    service = VideoConsultations(settings, load_catalog(TOPICS), ManualClock(NOW), cli=written.append)
    with pytest.raises(HotlineError) as off:
        await service.start("13800000001", "labour", "address-a")
    assert off.value.error_id == "video-disabled" and off.value.status == 409
    assert await service.lock_all() == 0 and written == []
