"""What a waiting caller hears (ivr_flows/waiting.yaml): the sounds built from the file, the sound
for a place in the line and for an expected wait, overrides, recordings, and each mistake in the
file refused with an id and a message that names the file and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotline.errors import InvalidInputError
from hotline.ivr.prompts import Prompt, load_prompts
from hotline.ivr.waiting import SOUNDS_DIR, WaitingPrompts, load_waiting_prompts

ROOT = Path(__file__).parents[2]
SHIPPED = ROOT / "ivr_flows" / "waiting.yaml"
SHORT = ROOT / "tests" / "fixtures" / "prompts-short.yaml"

TEXTS = {
    "position-first": "下一位",
    "position": "前面{n}位",
    "position-more": "超过{n}位",
    "wait": "等{n}分钟",
    "wait-more": "超过{n}分钟",
    "offer": "按1回电",
    "kept": "已保留",
    "not-kept": "不能回电",
    "unreached": "未接通",
}


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "waiting.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _valid(**changes: object) -> dict[str, object]:
    return {"positions": 3, "minutes": 2, "prompts": {k: {"text": v} for k, v in TEXTS.items()}, **changes}


def _with(name: str, entry: object) -> dict[str, object]:
    """The valid file with prompt ``name`` set to ``entry``."""
    return _valid(prompts={**{k: {"text": v} for k, v in TEXTS.items()}, name: entry})


def _refused(path: Path) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        load_waiting_prompts(path)
    return caught.value


def test_the_shipped_file_yields_every_sound_with_its_number_filled_in() -> None:
    waiting = load_waiting_prompts(SHIPPED)
    assert (waiting.positions, waiting.minutes) == (10, 20)
    prompts = waiting.prompts()
    names = [p.name for p in prompts]
    assert len(prompts) == 1 + (waiting.positions - 1) + 1 + waiting.minutes + 1 + 4 == 36
    assert names == [
        "position-first",
        *(f"position-{n}" for n in range(1, 10)),
        "position-more",
        *(f"wait-{n}" for n in range(1, 21)),
        "wait-more",
        "offer",
        "kept",
        "not-kept",
        "unreached",
    ]
    texts = {p.name: p.text for p in prompts}
    assert texts["position-first"] == "您是下一位，律师马上为您服务。"
    assert texts["position-1"] == "您前面还有1位来电者。"
    assert texts["position-9"] == "您前面还有9位来电者。"
    assert texts["position-more"] == "您前面的来电者超过9位。"
    assert texts["wait-1"] == "预计等待1分钟。" and texts["wait-20"] == "预计等待20分钟。"
    assert texts["wait-more"] == "预计等待超过20分钟。"
    assert texts["offer"] == "如需保留排队位置、由律师回电，请按1，然后挂机。"
    assert not any("{n}" in text for text in texts.values())
    assert all(p.file is None for p in prompts)
    assert SOUNDS_DIR == "_waiting"


def test_the_sound_for_a_place_in_the_line_and_for_an_expected_wait(tmp_path: Path) -> None:
    waiting = load_waiting_prompts(_write(tmp_path, _valid()))  # 3 places, 2 minutes said
    assert [waiting.position_sound(p) for p in (1, 2, 3, 4, 50)] == [
        "position-first",
        "position-1",
        "position-2",
        "position-more",
        "position-more",
    ]
    assert [waiting.wait_sound(m) for m in (1, 2, 3, 120)] == ["wait-1", "wait-2", "wait-more", "wait-more"]
    built = {p.name for p in waiting.prompts()}
    assert {waiting.position_sound(p) for p in range(1, 6)} <= built
    assert {waiting.wait_sound(m) for m in range(1, 5)} <= built
    with pytest.raises(ValueError, match="starts at 1"):
        waiting.position_sound(0)
    with pytest.raises(ValueError, match="at least 1 minute"):
        waiting.wait_sound(0)


def test_the_shipped_file_s_sounds_cover_its_last_numbers() -> None:
    waiting = load_waiting_prompts(SHIPPED)
    assert waiting.position_sound(10) == "position-9" and waiting.position_sound(11) == "position-more"
    assert waiting.wait_sound(20) == "wait-20" and waiting.wait_sound(21) == "wait-more"


def test_overrides_replace_texts_templated_the_same_way(tmp_path: Path) -> None:
    waiting = load_waiting_prompts(_write(tmp_path, _valid()))
    overrides = {"position": "{n}位", "offer": "按1", "greeting": "您好", "wait-1": "ignored"}
    texts = {p.name: p.text for p in waiting.prompts(overrides)}
    assert texts["position-1"] == "1位" and texts["position-2"] == "2位"
    assert texts["offer"] == "按1"
    assert texts["wait-1"] == "等1分钟"  # a sound's name is not an entry: not overridden
    assert texts["position-more"] == "超过2位" and "greeting" not in texts


def test_the_short_prompts_fixture_overrides_every_entry_and_still_loads_as_prompts() -> None:
    overrides = {p.name: p.text for p in load_prompts(SHORT)}
    assert set(TEXTS) <= set(overrides)
    texts = {p.name: p.text for p in load_waiting_prompts(SHIPPED).prompts(overrides)}
    assert texts["position-first"] == "第一" and texts["position-3"] == "3位"
    assert texts["wait-12"] == "12分" and texts["wait-more"] == "很久" and texts["unreached"] == "未接通"


def test_a_recorded_file_is_kept_and_wins_over_an_override(tmp_path: Path) -> None:
    data = _valid()
    prompts = data["prompts"]
    assert isinstance(prompts, dict)
    prompts["offer"] = {"text": "按1回电", "file": "recordings/offer.wav"}
    prompts["wait"] = {"text": "等{n}分钟", "file": "recordings/wait-{n}.wav"}
    waiting = load_waiting_prompts(_write(tmp_path, data))
    assert waiting.texts["offer"] == Prompt("offer", "按1回电", tmp_path / "recordings" / "offer.wav")
    sounds = {p.name: p for p in waiting.prompts({"offer": "按1", "wait": "{n}分"})}
    assert sounds["offer"] == Prompt("offer", "按1回电", tmp_path / "recordings" / "offer.wav")
    assert sounds["wait-2"] == Prompt("wait-2", "等2分钟", tmp_path / "recordings" / "wait-2.wav")
    assert sounds["kept"].file is None


def test_the_prompts_are_frozen(tmp_path: Path) -> None:
    waiting = load_waiting_prompts(_write(tmp_path, _valid()))
    assert isinstance(waiting, WaitingPrompts)
    with pytest.raises(TypeError):
        waiting.texts["offer"] = Prompt("offer", "x")  # type: ignore[index]


def test_a_missing_file_is_unreadable_and_named(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    error = _refused(path)
    assert error.error_id == "waiting-prompts-unreadable" and error.status == 422
    assert str(path) in error.message and "restore" in error.message


def test_broken_yaml_is_unreadable_and_named(tmp_path: Path) -> None:
    path = tmp_path / "waiting.yaml"
    path.write_text("positions: 10\nprompts:\n  wait: {text: 预计等待{n}分钟。}\n", encoding="utf-8")
    error = _refused(path)
    assert error.error_id == "waiting-prompts-unreadable"
    assert str(path) in error.message and "not valid YAML" in error.message and "quote" in error.message


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (["positions", 10], "expected a mapping with `positions`, `minutes` and `prompts`, found list"),
        (None, "found an empty file"),
        (_valid(positions=0), "`positions` (how many places in the line are said) must be a whole number"),
        (_valid(positions=100), "from 1 to 99, found 100. Fix: write e.g. `positions: 10`"),
        (_valid(positions="10"), "found '10'"),
        (_valid(minutes=True), "`minutes` (how many minutes of expected wait are said)"),
        (
            {k: v for k, v in _valid().items() if k != "minutes"},
            "found nothing. Fix: write e.g. `minutes: 20`",
        ),
        (_valid(music="default"), "unknown key 'music'"),
        (_valid(prompts=["offer"]), "`prompts` must be a mapping of prompt name"),
        (
            _valid(prompts={k: {"text": v} for k, v in TEXTS.items() if k != "kept"}),
            "prompts: 'kept' is missing",
        ),
        (_with("offer", {"text": "  "}), "'offer' needs a non-empty `text`"),
        (_with("offer", "按1"), "'offer' must be a mapping"),
        (_with("wait", {"text": "预计等待几分钟。"}), "'wait': `text` must contain {n}"),
        (_with("position", {"text": "前面有人"}), "'position': `text` must contain {n}"),
        (_with("kept", {"text": "保留{n}"}), "'kept': `text` must not contain {n}"),
        (_with("hold", {"text": "请稍候"}), "unknown prompt 'hold'"),
        (_with("offer", {"text": "按1", "voice": "f1"}), "'offer': unknown key 'voice'"),
        (_with("offer", {"text": "按1", "file": 3}), "'offer': `file` must be the path of a recording"),
    ],
)
def test_each_mistake_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, data: object, problem: str
) -> None:
    path = _write(tmp_path, data)
    error = _refused(path)
    assert error.error_id == "waiting-prompts-invalid" and error.status == 422
    assert error.message.startswith(str(path)) and problem in error.message
    assert "Fix:" in error.message
    assert error.details["file"] == str(path) and len(error.details["problems"]) == 1


def test_an_unquoted_template_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "waiting.yaml"
    shipped = SHIPPED.read_text(encoding="utf-8")
    path.write_text(
        shipped.replace('wait: {text: "预计等待{n}分钟。"}', "wait:\n    text: {n}"), encoding="utf-8"
    )
    error = _refused(path)
    assert "'wait': `text` is not quoted" in error.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    prompts = {k: {"text": v} for k, v in TEXTS.items() if k not in {"offer", "wait"}}
    error = _refused(_write(tmp_path, {"positions": 0, "minutes": 2, "prompts": prompts}))
    assert error.message.startswith(f"{tmp_path / 'waiting.yaml'} has 3 problems:")
    assert len(error.details["problems"]) == 3
