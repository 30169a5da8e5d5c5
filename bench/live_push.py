"""Live push latency: from an AMI event reaching the controller to the wallboard's update leaving
its Server-Sent Events stream.

Serves the controller (SQLite in a temporary directory, no Asterisk) on a loopback port, opens
the wallboard's stream as a signed-in supervisor, and then, one at a time, hands the controller
a caller joining or leaving a queue, exactly as the AMI client does (``CallRecorder.on_event``),
timing until the stream delivers a board that shows the change. Also times the same with
``--viewers`` other wallboards open at once. Prints the median, 95th percentile and worst
latency and the ratio of the worst to the goal (one second, the issue's requirement).

    .venv/bin/python bench/live_push.py [--events 200] [--viewers 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn

from hotline.ami import events as ev
from hotline.app import create_app
from hotline.auth.service import create_user
from hotline.calls.service import CallRecorder
from hotline.kernel.compose import Runtime
from hotline.settings import AsteriskSettings, Settings

GOAL_SECONDS = 1.0
PASSWORD = secrets.token_urlsafe(16)


async def _waiting(lines: object, queue: str, expected: int) -> float:
    async for line in lines:  # type: ignore[attr-defined]
        if not line.startswith("data: "):
            continue
        board = json.loads(line[6:])
        row = next(q for q in board["queues"] if q["queue"] == queue)
        if row["waiting"] == expected:
            return time.perf_counter()
    raise RuntimeError("the stream ended")


async def measure(events: int, viewers: int) -> list[float]:
    state = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    app = create_app(
        Settings(state_dir=state, asterisk=AsteriskSettings(root=state / "root")), connect_ami=False
    )
    async with app.router.lifespan_context(app):
        runtime: Runtime = app.state.runtime
        with runtime.session_factory.begin() as session:
            create_user(session, "bench", PASSWORD, "supervisor")
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        await _started(server)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            token = (
                await http.post("/api/v1/auth/token", data={"username": "bench", "password": PASSWORD})
            ).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            others = [
                await http.send(
                    http.build_request("GET", "/api/v1/wallboard/stream", headers=headers), stream=True
                )
                for _ in range(viewers)
            ]
            drains = [asyncio.create_task(_drain(other)) for other in others]
            latencies = []
            async with http.stream("GET", "/api/v1/wallboard/stream", headers=headers) as response:
                lines = response.aiter_lines()
                await _waiting(lines, "labour", 0)
                recorder = runtime.part(CallRecorder)
                assert recorder is not None
                for n in range(events):
                    uid = f"bench.{n}"
                    now = time.time()
                    joined = n % 2 == 0
                    event: ev.Event = (
                        ev.QueueCallerJoined(now, uid, uid, "labour", 1, "13900000000")
                        if joined
                        else ev.QueueCallerLeft(now, f"bench.{n - 1}", f"bench.{n - 1}", "labour")
                    )
                    start = time.perf_counter()
                    recorder.on_event(event)
                    arrived = await _waiting(lines, "labour", 1 if joined else 0)
                    latencies.append(arrived - start)
            for task in drains:
                task.cancel()
            for other in others:
                await other.aclose()
        server.should_exit = True
        await serving
    return latencies


async def _started(server: uvicorn.Server, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web server did not start")
        await asyncio.sleep(0.01)


async def _drain(response: httpx.Response) -> None:
    async for _chunk in response.aiter_raw():
        pass


def report(label: str, latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    worst = ordered[-1]
    print(
        f"{label:<28} n={len(ordered):4d}  median {statistics.median(ordered) * 1000:6.1f} ms  "
        f"p95 {p95 * 1000:6.1f} ms  worst {worst * 1000:6.1f} ms  worst/goal {worst / GOAL_SECONDS:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--viewers", type=int, default=10)
    args = parser.parse_args()
    print(f"goal: a change on the wallboard within {GOAL_SECONDS:.0f} s of the AMI event")
    report("one wallboard", asyncio.run(measure(args.events, 0)))
    report(f"with {args.viewers} more wallboards", asyncio.run(measure(args.events, args.viewers)))


if __name__ == "__main__":
    main()
