"""The fault suite's short version (bench/faults.py): citizens' calls from SIPp through the IVR to
registered SIPp lawyers while the controller's AMI connection is cut three times, the controller is
killed with SIGKILL and restarted, and Asterisk is restarted. Every call Asterisk summarized has
exactly one record with the same facts, and its recording is registered and sealed."""

from __future__ import annotations

import pytest

from bench.faults import Options, run_suite

pytestmark = pytest.mark.e2e

# About a minute of load; the whole run (setup included) takes about 70 s on two cores.
SHORT = Options(
    calls=60,
    rate=2.0,
    lawyers=20,
    talk_seconds=10.0,
    ami_cuts=3,
    controller_kills=1,
    controller_down=5.0,
    asterisk_restarts=1,
    deadline=230.0,
    settle_seconds=60.0,
)


async def test_every_summarized_call_has_one_record_with_the_same_facts() -> None:
    result = await run_suite(SHORT)
    report = "\n".join(result.lines())
    print(report)
    counts = result.verdict.counts()
    # The load happened and the faults hit a live connection (the suite is not vacuously green).
    assert counts["sipp_placed"] == SHORT.calls, report
    assert counts["summaries"] >= SHORT.calls * 0.8, report
    assert result.verdict.outcomes.get("answered", 0) >= SHORT.calls * 0.5, report
    assert sum("open)" in fault and "(0 open)" not in fault for fault in result.faults) >= 2, report
    assert any("killed" in fault for fault in result.faults), report
    assert any("Asterisk restarted" in fault for fault in result.faults), report
    # One record per summarized call, nothing else, each fact as Asterisk saw it.
    assert (counts["missing"], counts["doubled"], counts["wrong"]) == (0, 0, 0), report
    assert (counts["not_registered"], counts["not_sealed"], counts["wav_left"]) == (0, 0, 0), report
    assert result.ok, report
