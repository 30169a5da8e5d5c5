"""Compile IVR flows and the office-hours calendar into dialplan (text for extensions.conf).

Pure functions: a validated :class:`~hotline.ivr.flow.Flow` in, the lines of its context out.
The golden tests pin the output; the e2e tests run it on Asterisk. The shared contexts the
compiled steps call (``hotline-route``, ``hotline-queue``, the rating and recording helpers)
are in ``dialplans/extensions.conf.j2``.

Channel variables a flow sets: ``HOTLINE_TOPIC`` and ``HOTLINE_LANGUAGE`` (catalog ids),
``HOTLINE_PATH`` (the keys chosen, e.g. `` language=2 topic=1``; ``none`` for no valid key).
"""

from __future__ import annotations

from collections.abc import Iterable

from hotline.ivr.calendar import Calendar, minutes
from hotline.ivr.catalog import VIDEO, Catalog
from hotline.ivr.flow import Flow, Step

NOW = "${STRFTIME(,UTC,%s.%6q)}"


def _sound(flow: Flow, *names: str | None) -> str:
    return "&".join(f"${{HOTLINE_SOUNDS}}/{flow.name}/{name}" for name in names if name)


class _Extension:
    """Lines of one extension: the first gets priority 1, the rest ``same => n``."""

    def __init__(self, name: str, comment: str | None = None) -> None:
        self.name = name
        self.lines: list[str] = [f"; {comment}"] if comment else []
        self._first = True

    def add(self, application: str, label: str | None = None) -> _Extension:
        priority = "1" if self._first else "n"
        if label:
            priority = f"{priority}({label})"
        prefix = f"exten => {self.name}," if self._first else " same => "
        self.lines.append(f"{prefix}{priority},{application}")
        self._first = False
        return self


def _goto(step: str) -> str:
    return f"Goto({step},1)"


def _play(flow: Flow, step: Step) -> _Extension:
    names = [str(name) for name in step.settings["prompts"]]
    return _Extension(step.name).add(f"Playback({_sound(flow, *names)})").add(_goto(step.link("next")))


def _office_hours(step: Step) -> _Extension:
    return (
        _Extension(step.name, "On-duty hours (ivr_flows/calendar.yaml, holidays/)?")
        .add("Gosub(hotline-office-hours,s,1)")
        .add(f'GotoIf($["${{GOSUB_RETVAL}}" = "open"]?{step.link("open")},1:{step.link("closed")},1)')
    )


def _menu(flow: Flow, step: Step) -> _Extension:
    ext = _Extension(
        step.name, f"Menu: {step.retries} re-prompt(s) on no or wrong key, then {step.link('fallback')}."
    )
    ext.add("Set(HOTLINE_TRIES=0)")
    ext.add(f"Set(HOTLINE_PROMPT={_sound(flow, step.prompt())})")
    ext.add(f"Read(HOTLINE_DIGIT,${{HOTLINE_PROMPT}},1,,1,{step.timeout})", label="ask")
    options = step.options()
    for option in options:
        ext.add(f'GotoIf($["${{HOTLINE_DIGIT}}" = "{option.key}"]?key-{option.key})')
    ext.add("Set(HOTLINE_TRIES=$[${HOTLINE_TRIES} + 1])")
    ext.add(f"Set(HOTLINE_PROMPT={_sound(flow, step.prompt('invalid_prompt'), step.prompt())})")
    ext.add(f"GotoIf($[${{HOTLINE_TRIES}} <= {step.retries}]?ask)")
    ext.add(f"Set(HOTLINE_PATH=${{HOTLINE_PATH}} {step.name}=none)")
    ext.add(_goto(step.link("fallback")))
    for option in options:
        ext.add(f"Set(HOTLINE_PATH=${{HOTLINE_PATH}} {step.name}={option.key})", label=f"key-{option.key}")
        for variable, value in sorted(option.set.items()):
            ext.add(f"Set(HOTLINE_{variable.upper()}={value})")
        ext.add(_goto(option.next))
    return ext


def _queue(flow: Flow, step: Step, catalog: Catalog) -> _Extension:
    default = catalog.default_language
    return (
        _Extension(step.name, "Wait for a lawyer of the topic and language chosen (see [hotline-queue]).")
        .add("Gosub(hotline-route,s,1)")
        # Where a caller transferred to another lawyer goes on afterwards (see [hotline-outward]).
        .add(f"Set(HOTLINE_AFTER_LAWYER={flow.context},{step.link('answered')},1)")
        .add(
            f'Set(HOTLINE_QUEUE=${{IF($["${{HOTLINE_LANGUAGE}}" = "{default}"]'
            f"?${{HOTLINE_TOPIC}}:${{HOTLINE_TOPIC}}-${{HOTLINE_LANGUAGE}})}})"
        )
        # A video consultation waits in the topic's video queue (lawyers who take video first).
        .add(f'ExecIf($["${{HOTLINE_MEDIA}}" = "video"]?Set(HOTLINE_QUEUE=${{HOTLINE_TOPIC}}-{VIDEO.id}))')
        .add("Gosub(hotline-queue,s,1)")
        .add(
            f'GotoIf($["${{QUEUESTATUS}}" = "CONTINUE"]?{step.link("answered")},1:{step.link("no_answer")},1)'
        )
    )


def _transfer(flow: Flow, step: Step, transfer_timeout: int) -> _Extension:
    trunk = step.link("to")
    after = step.settings.get("answered")
    ext = _Extension(
        step.name,
        f"Connect the caller to {trunk}; {step.link('failed')} if it does not answer"
        + (f", {after} once it hangs up." if after else "."),
    )
    ext.add("Gosub(hotline-route,s,1)")
    if step.prompt():
        ext.add(f"Playback({_sound(flow, step.prompt())})")
    # g: the caller goes on in the dialplan when the outside line hangs up (to the rating).
    options = "g" if after else ""
    ext.add(f"Dial(PJSIP/trunk-{trunk},{transfer_timeout},{options}U(hotline-transfer-answered^{trunk}))")
    done = f"{step.link('answered')},1" if after else "done"
    ext.add(f'GotoIf($["${{DIALSTATUS}}" = "ANSWER"]?{done}:{step.link("failed")},1)')
    ext.add("Hangup()", label="done")
    return ext


def _voicemail(flow: Flow, step: Step, max_seconds: int) -> _Extension:
    return (
        _Extension(step.name, "The caller leaves a message, which becomes a callback.")
        .add("Gosub(hotline-route,s,1)")
        .add("Set(HOTLINE_VM=${CHANNEL(linkedid)})")
        .add("UserEvent(HotlineVoicemail,HotlineFile: ${HOTLINE_VM})")
        .add(f"Playback({_sound(flow, step.prompt())}&beep)")
        .add(f"Record(${{HOTLINE_VOICEMAIL}}/${{HOTLINE_VM}}.wav,0,{max_seconds},k)")
        .add("Hangup()")
    )


def _criticism(flow: Flow, step: Step, max_seconds: int) -> _Extension:
    """A message of criticism (投诉与意见), recorded like a voicemail; kept in AstDB and told to the
    controller, which files it for the day's duty leader. With ``offer`` (after a poor rating), the
    caller is first asked to press 1."""
    offer = step.prompt("offer")
    kind = "after-rating" if offer else "phone"
    ext = _Extension(step.name, f"The caller records criticism ({kind}); it goes to the duty leader.")
    if offer:
        ext.add(f"Read(HOTLINE_DIGIT,{_sound(flow, offer)},1,,1,{step.timeout})")
        ext.add('GotoIf($["${HOTLINE_DIGIT}" != "1"]?bye)')
    else:
        ext.add("Gosub(hotline-route,s,1)")
    return (
        ext.add(f"Set(HOTLINE_CRITICISM=${{CHANNEL(linkedid)}}-{kind})")
        # The caller's number and the lawyer who served them (after a rating), for the leader.
        .add("Set(HOTLINE_SERVED=${FILTER(0-9A-Za-z_-,${MEMBERNAME})})")
        .add(
            f"Set(DB(hotline-criticism/${{HOTLINE_CRITICISM}})=${{CHANNEL(linkedid)}}/{kind}"
            ":${HOTLINE_CALLER}:${HOTLINE_SERVED})"
        )
        .add(
            f"UserEvent(HotlineCriticism,HotlineFile: ${{HOTLINE_CRITICISM}},HotlineKind: {kind},"
            "HotlineLawyer: ${HOTLINE_SERVED})"
        )
        .add(f"Playback({_sound(flow, step.prompt())}&beep)")
        .add(f"Record(${{HOTLINE_VOICEMAIL}}/${{HOTLINE_CRITICISM}}.wav,0,{max_seconds},k)")
        .add("Hangup()")
        .add(f"Playback({_sound(flow, step.prompt('goodbye_prompt'))})", label="bye")
        .add("Hangup()")
    )


def _rating(flow: Flow, step: Step, *, extension: str | None = None, ticket: bool = False) -> _Extension:
    """Ask for a 1-5 rating by keypad. ``ticket``: after a callback, reported with its ticket."""
    event = "HotlineCallbackRating" if ticket else "HotlineRating"
    about = ",HotlineTicket: ${HOTLINE_TICKET}" if ticket else ""
    ext = (
        _Extension(extension or step.name, "One rating per call, 1-5 by keypad (一单一评).")
        .add("Set(HOTLINE_TRIES=0)")
        .add(f"Set(HOTLINE_PROMPT={_sound(flow, step.prompt())})")
        .add(f"Read(HOTLINE_DIGIT,${{HOTLINE_PROMPT}},1,,1,{step.timeout})", label="ask")
        .add('GotoIf($[${REGEX("^[1-5]$" ${HOTLINE_DIGIT})}]?rated)')
        .add("Set(HOTLINE_TRIES=$[${HOTLINE_TRIES} + 1])")
        .add(f"Set(HOTLINE_PROMPT={_sound(flow, step.prompt('invalid_prompt'), step.prompt())})")
        .add(f"GotoIf($[${{HOTLINE_TRIES}} <= {min(step.retries, 1)}]?ask)")
        .add(f"UserEvent({event},HotlineRating: none{about})")
        .add(f"Playback({_sound(flow, step.prompt('goodbye_prompt'))})")
        .add("Hangup()")
        .add("Set(HOTLINE_RATING=${HOTLINE_DIGIT})", label="rated")
    )
    if ticket:  # also kept in AstDB: read back after the controller was away (nothing lost)
        ext.add("Set(DB(hotline-rating/${HOTLINE_TICKET})=${CHANNEL(linkedid)}/${HOTLINE_DIGIT})")
    ext.add(f"UserEvent({event},HotlineRating: ${{HOTLINE_DIGIT}}{about})")
    poor = step.settings.get("poor")
    if poor and not ticket:  # 1-2: offered to say what went wrong (a criticism for the duty leader)
        ext.add(f"GotoIf($[${{HOTLINE_DIGIT}} <= 2]?{poor},1)")
    return ext.add(f"Playback({_sound(flow, step.prompt('thanks_prompt'))})").add("Hangup()")


def compile_callback_rating(flows: Iterable[Flow]) -> str:
    """``[hotline-callback-rating]``: after a callback the citizen rates it, with the prompts of the
    first flow that has a rating step (one rating per ticket, whatever the channel)."""
    lines = ["[hotline-callback-rating]"]
    for flow in flows:
        for step in flow.steps.values():
            if step.type == "rating":
                lines.extend(_rating(flow, step, extension="s", ticket=True).lines)
                return "\n".join(lines)
    lines.append("exten => s,1,Hangup()")
    return "\n".join(lines)


def compile_flow(
    flow: Flow, catalog: Catalog, *, transfer_timeout: int = 30, voicemail_max_seconds: int = 120
) -> str:
    """The flow's context: one extension per step, named after the step."""
    lines = [
        f"; Flow {flow.name!r} from ivr_flows/{flow.path.name} (compiled; edit the flow, not this).",
        f"[{flow.context}]",
    ]
    for step in flow.steps.values():
        if step.type == "play":
            ext = _play(flow, step)
        elif step.type == "office_hours":
            ext = _office_hours(step)
        elif step.type == "menu":
            ext = _menu(flow, step)
        elif step.type == "queue":
            ext = _queue(flow, step, catalog)
        elif step.type == "transfer":
            ext = _transfer(flow, step, transfer_timeout)
        elif step.type == "voicemail":
            ext = _voicemail(flow, step, voicemail_max_seconds)
        elif step.type == "rating":
            ext = _rating(flow, step)
        elif step.type == "criticism":
            ext = _criticism(flow, step, voicemail_max_seconds)
        else:  # pragma: no cover - the schema admits no other type
            raise AssertionError(step.type)
        lines.extend(ext.lines)
        lines.append("")
    return "\n".join(lines)


def _ranges(hhmm_ranges: Iterable[tuple[int, int]]) -> list[str]:
    tests = []
    for start, end in hhmm_ranges:
        tests.append(f"GotoIf($[${{minute}} >= {start} & ${{minute}} < {end}]?open)")
    return tests


def compile_calendar(calendar: Calendar) -> str:
    """``[hotline-office-hours]``: returns ``open`` or ``closed`` for now (or the injected clock).

    ``HOTLINE_CLOCK`` (a global, empty unless configured) replaces the real time, for rehearsals
    and tests. Holidays and make-up working days are listed by date; hours by day kind."""
    zone = calendar.timezone
    ext = _Extension("s", "Office hours: workday or restday (holidays, 调休), then the hours of that kind.")
    ext.add('Set(LOCAL(now)=${IF($["${HOTLINE_CLOCK}" = ""]?${EPOCH}:${HOTLINE_CLOCK})})')
    ext.add(f"Set(LOCAL(day)=${{STRFTIME(${{now}},{zone},%Y%m%d)}})")
    ext.add(
        f"Set(LOCAL(minute)=$[${{STRFTIME(${{now}},{zone},%H)}} * 60 + ${{STRFTIME(${{now}},{zone},%M)}}])"
    )
    ext.add(f"Set(LOCAL(kind)=${{IF($[${{STRFTIME(${{now}},{zone},%u)}} > 5]?restday:workday)}})")
    for special in sorted(calendar.special_days.values(), key=lambda s: s.day):
        ext.add(f'ExecIf($["${{day}}" = "{special.day:%Y%m%d}"]?Set(LOCAL(kind)={special.kind}))')
    ext.add('GotoIf($["${kind}" = "restday"]?restday)')
    for test in _ranges(minutes(r) for r in calendar.hours.get("workday", ())):
        ext.add(test)
    ext.add("Return(closed)")
    ext.add("NoOp(restday)", label="restday")
    for test in _ranges(minutes(r) for r in calendar.hours.get("restday", ())):
        ext.add(test)
    ext.add("Return(closed)")
    ext.add("Return(open)", label="open")
    return "\n".join(["[hotline-office-hours]", *ext.lines, ""])
