"""IVR flows: the shipped files are valid; every mistake is reported with file, line, place and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hotline.errors import InvalidInputError
from hotline.ivr.catalog import Catalog, load_catalog
from hotline.ivr.compiler import compile_flow
from hotline.ivr.flow import load_flow, load_flows
from hotline.ivr.prompts import Prompt
from hotline.ivr.service import load_ivr, prompts_of
from hotline.settings import Settings

FLOWS = Path(__file__).resolve().parents[2] / "ivr_flows"
TRUNKS = ["gov-12345"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(FLOWS / "topics.yaml")


def _main() -> dict[str, object]:
    data: dict[str, object] = yaml.safe_load((FLOWS / "main.flow.yaml").read_text(encoding="utf-8"))
    return data


def _write(tmp_path: Path, data: object, name: str = "main.flow.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _problems(path: Path, catalog: Catalog) -> list[str]:
    with pytest.raises(InvalidInputError) as caught:
        load_flow(path, catalog, TRUNKS)
    assert caught.value.error_id == "flow-invalid"
    problems: list[str] = caught.value.details["problems"]
    return problems


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_the_shipped_flow_catalog_and_calendar_load() -> None:
    ivr = load_ivr(Settings())
    (flow,) = ivr.flows
    assert (flow.name, flow.extension, flow.start) == ("main", "12348", "welcome")
    topic = flow.steps["topic"]
    assert {option.key: option.set.get("topic") for option in topic.options()} == {
        "0": None,
        "9": None,
        "1": "labour",
        "2": "family",
        "3": "housing",
        "4": "traffic",
        "5": "contract",
        "6": "legal-aid",
        "7": "other",
    }
    assert topic.retries == 2 and topic.link("fallback") == "lawyers"
    assert all(prompt.text for prompt in flow.prompts.values())


@pytest.mark.parametrize(
    ("change", "place", "expected"),
    [
        (
            lambda d: d["steps"]["topic"]["options"]["1"].update(next="queu"),
            "steps.topic.options.1.next",
            "'queu' is not a step",
        ),
        (
            lambda d: d["steps"]["welcome"].update(prompts=["hello"]),
            "steps.welcome.prompts.0",
            "'hello' is not a prompt",
        ),
        (
            lambda d: d["steps"]["topic"]["options"]["1"]["set"].update(topic="tax"),
            "steps.topic.options.1.set.topic",
            "'tax' is not a topic",
        ),
        (
            lambda d: d["steps"]["to-12345"].update(to="gov-110"),
            "steps.to-12345.to",
            "no trunk named 'gov-110'",
        ),
        (
            lambda d: d["steps"]["topic"].update(retries="two"),
            "steps.topic.retries",
            "'two' is not of type 'integer'",
        ),
        (lambda d: d["steps"]["topic"].update(timout=5), "steps.topic", "('timout' was unexpected)"),
        (lambda d: d["steps"]["hours"].update(type="hours"), "steps.hours.type", "'hours' is not one of"),
        (lambda d: d.update(start="begin"), "start", "'begin' is not a step"),
    ],
    ids=[
        "unknown-step",
        "unknown-prompt",
        "unknown-topic",
        "unknown-trunk",
        "wrong-type",
        "unknown-key",
        "unknown-step-type",
        "unknown-start",
    ],
)
def test_a_mistake_names_file_line_place_and_fix(
    tmp_path: Path, catalog: Catalog, change: object, place: str, expected: str
) -> None:
    data = _main()
    change(data)  # type: ignore[operator]
    path = _write(tmp_path, data)
    problems = _problems(path, catalog)
    matching = [p for p in problems if f": {place}: " in p]
    assert matching, problems
    assert expected in matching[0]
    assert matching[0].startswith("main.flow.yaml:")
    assert "Fix: " in matching[0]


def test_the_line_number_points_at_the_mistake(tmp_path: Path, catalog: Catalog) -> None:
    data = _main()
    data["steps"]["lawyers"]["no_answer"] = "nobody"  # type: ignore[index]
    path = _write(tmp_path, data)
    problems = _problems(path, catalog)
    problem = next(p for p in problems if "no_answer" in p)
    assert any("steps.no-lawyer: no step leads here" in p for p in problems)  # and what follows from it
    assert problem.startswith(
        f"main.flow.yaml:{_line_of(path, 'no_answer: nobody')}: steps.lawyers.no_answer:"
    )


def test_every_problem_is_reported_at_once(tmp_path: Path, catalog: Catalog) -> None:
    data = _main()
    steps = data["steps"]
    steps["welcome"]["next"] = "nowhere"  # type: ignore[index]
    steps["no-lawyer"]["prompt"] = "missing"  # type: ignore[index]
    steps["language"]["options"]["2"]["set"]["language"] = "cantonese"  # type: ignore[index]
    problems = _problems(_write(tmp_path, data), catalog)
    assert len(problems) >= 3
    joined = "\n".join(problems)
    assert "'nowhere' is not a step" in joined and "'missing' is not a prompt" in joined
    assert "'cantonese' is not a language" in joined


def test_a_step_nothing_leads_to_is_reported(tmp_path: Path, catalog: Catalog) -> None:
    data = _main()
    data["steps"]["orphan"] = {"type": "voicemail", "prompt": "voicemail"}  # type: ignore[index]
    problems = _problems(_write(tmp_path, data), catalog)
    assert any("steps.orphan: no step leads here" in p for p in problems), problems


def test_yaml_syntax_errors_name_the_line(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "main.flow.yaml"
    path.write_text("flow: main\nsteps:\n  welcome: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_flow(path, catalog, TRUNKS)
    assert "main.flow.yaml:" in caught.value.message and "not valid YAML" in caught.value.message


def test_two_flows_may_not_share_a_number(tmp_path: Path, catalog: Catalog) -> None:
    _write(tmp_path, _main())
    other = _main()
    other["flow"] = "night"
    _write(tmp_path, other, "night.flow.yaml")
    with pytest.raises(InvalidInputError) as caught:
        load_flows(tmp_path, catalog, TRUNKS)
    assert "extension: 12348 is also the number of flow 'main'" in caught.value.message


def test_the_catalog_refuses_a_queue_name_asterisk_reserves(tmp_path: Path) -> None:
    data = yaml.safe_load((FLOWS / "topics.yaml").read_text(encoding="utf-8"))
    data["topics"][-1]["id"] = "general"
    data["default_topic"] = "general"
    path = _write(tmp_path, data, "topics.yaml")
    with pytest.raises(InvalidInputError) as caught:
        load_catalog(path)
    assert "topics.6.id" in caught.value.message and "general" in caught.value.message


def test_menu_compiles_to_one_branch_per_key_and_a_fallback(catalog: Catalog) -> None:
    ivr = load_ivr(Settings())
    text = compile_flow(ivr.flows[0], catalog)
    topic = text[text.index("exten => topic,") : text.index("exten => lawyers,")]
    for key in "01234567":
        assert f'GotoIf($["${{HOTLINE_DIGIT}}" = "{key}"]?key-{key})' in topic
    assert "GotoIf($[${HOTLINE_TRIES} <= 2]?ask)" in topic
    assert "Set(HOTLINE_PATH=${HOTLINE_PATH} topic=none)\n same => n,Goto(lawyers,1)" in topic
    assert (
        "same => n(key-1),Set(HOTLINE_PATH=${HOTLINE_PATH} topic=1)\n same => n,Set(HOTLINE_TOPIC=labour)"
        in topic
    )


def test_prompt_overrides_replace_texts_but_not_recordings(tmp_path: Path, catalog: Catalog) -> None:
    ivr = load_ivr(Settings())
    flow = ivr.flows[0]
    recorded = Prompt("greeting", "录音", tmp_path / "greeting.wav")
    flow = type(flow)(
        flow.name, flow.extension, flow.start, {**flow.prompts, "greeting": recorded}, flow.steps, flow.path
    )
    prompts = {p.name: p for p in prompts_of(flow, {"greeting": "您好", "rate": "请评分"})}
    assert prompts["greeting"].text == "录音" and prompts["rate"].text == "请评分"
