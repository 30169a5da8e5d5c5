"""The AMI action builders refuse values that would change the action they are put in."""

from __future__ import annotations

import pytest

from hotline.ami import actions
from hotline.errors import HotlineError


def _originate(variables: dict[str, str], caller_id: str = '"回访 5551" <5551>') -> actions.Action:
    return actions.originate_to_dialplan(
        "PJSIP/8001", "hotline-callback", variables, caller_id=caller_id, channel_id="1.2"
    )


def test_an_originate_with_clean_values_is_built_as_before() -> None:
    action = _originate({"HOTLINE_TICKET": "12348-20261201-0001", "HOTLINE_NUMBER": "+8613800138000"})
    assert action.as_message() == {
        "Action": "Originate",
        "Channel": "PJSIP/8001",
        "Context": "hotline-callback",
        "Exten": "s",
        "Priority": "1",
        "CallerID": '"回访 5551" <5551>',
        "Timeout": "30000",
        "Async": "true",
        "Variable": "HOTLINE_TICKET=12348-20261201-0001,HOTLINE_NUMBER=+8613800138000",
        "ChannelId": "1.2",
    }


@pytest.mark.parametrize(
    "value",
    [
        "5551,HOTLINE_TICKET=12348-20000101-0001",  # a second variable
        '5551"',  # a quote: the rest would be read as one argument
        "5551\\",  # a backslash escapes the separator after it
        "5551(",  # an open parenthesis swallows the variables after it
        "5551)",
    ],
)
def test_a_variable_value_with_a_separator_is_refused(value: str) -> None:
    with pytest.raises(HotlineError) as caught:
        _originate({"HOTLINE_TICKET": "12348-20261201-0001", "HOTLINE_NUMBER": value})
    assert caught.value.error_id == "ami-action-value-unsafe"
    assert caught.value.status == 422
    assert caught.value.details == {"action": "Originate", "header": "Variable HOTLINE_NUMBER"}
    assert "Nothing was sent" in caught.value.message


@pytest.mark.parametrize("name", ["HOTLINE NUMBER", "X=Y", "", "1ABC", "A\n"])
def test_a_variable_name_that_is_not_a_name_is_refused(name: str) -> None:
    with pytest.raises(HotlineError, match="is not a name") as caught:
        _originate({name: "1"})
    assert caught.value.error_id == "ami-action-value-unsafe"


@pytest.mark.parametrize(
    "value", ["5551\r\nApplication: System", "5551\nVariable: X=1", "5551\rX", "5551\x00"]
)
def test_a_line_break_in_any_header_is_refused(value: str) -> None:
    with pytest.raises(HotlineError, match="line break") as caught:
        actions.queue_pause("8001", paused=True, reason=value)
    assert caught.value.error_id == "ami-action-value-unsafe"
    assert caught.value.details == {"action": "QueuePause", "header": "Reason"}
    with pytest.raises(HotlineError, match="line break"):
        _originate({"HOTLINE_NUMBER": value})
    with pytest.raises(HotlineError, match="line break"):
        actions.hangup(f"PJSIP/8001-00000001{value}")


def test_headers_changed_after_building_are_checked_again_before_sending() -> None:
    action = actions.queue_pause("8001", paused=True, reason="meal")
    action.headers["Reason"] = "meal\r\nAction: Originate"
    with pytest.raises(HotlineError, match="line break"):
        action.as_message()


@pytest.mark.parametrize(
    "caller_id",
    [
        '"x" <5551,5552>',
        '"x" <5551>, "y" <5552>',
        '"x" <5551"',
        '"a"b" <5551>',
        "x <5551> <5552>",
        '"x" <' + "1" * 21 + ">",
        '"x" <5551>\r\n',
        "5551",
    ],
)
def test_a_caller_id_that_is_not_a_name_and_a_clean_number_is_refused(caller_id: str) -> None:
    with pytest.raises(HotlineError) as caught:
        _originate({}, caller_id=caller_id)
    assert caught.value.error_id == "ami-action-value-unsafe"


def test_the_caller_id_builder_leaves_quotes_and_brackets_out_of_the_name() -> None:
    caller_id = actions.caller_id('回访 "x" <y>\r\n', "+8613800138000")
    assert caller_id == '"回访 x y" <+8613800138000>'
    assert _originate({}, caller_id=caller_id).headers["CallerID"] == caller_id
    # The shapes the consoles send stay valid.
    for valid in ("12348 <8001>", "listen 8001 <8001>", '"回访 5551" <5551>'):
        assert _originate({}, caller_id=valid).headers["CallerID"] == valid
