"""A case-records (and 12345) receiver for the hand-off tests: a real HTTP server on loopback that
misbehaves.

Run as a process: ``python tests/receiver.py PORT DB SECRET [--fail 0.33] [--slow 0.1] [--slow-seconds 2]``.
It checks each POST's signature (401 if wrong) and schema (422 with the problems), then — by a
seeded random draw — answers 503 without storing (``--fail``), or stores it but answers only
after ``--slow-seconds`` (``--slow``: longer than the sender's time-out, so the sender retries
something already stored). Cases are stored once per ``Idempotency-Key`` in SQLite; a repeat is
answered 200 ``{"duplicate": true}``. Every request is logged, and an event arriving before the
previous event of its ticket counts as out of order. Numbers whose ticket number is listed in
``--refuse`` are refused with 422 (a receiver that will never take them).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hotline.tickets.handoff import check_payload, signature_valid  # noqa: E402
from hotline.tickets.models import Destination  # noqa: E402

SCHEMA = """
CREATE TABLE IF NOT EXISTS cases (key TEXT PRIMARY KEY, ticket TEXT, sequence INTEGER, event TEXT,
                                  body TEXT, stored_at REAL);
CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT, status INTEGER, at REAL);
CREATE TABLE IF NOT EXISTS out_of_order (key TEXT, expected INTEGER, got INTEGER);
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("db", type=Path)
    parser.add_argument("secret")
    parser.add_argument("--fail", type=float, default=0.33)
    parser.add_argument("--slow", type=float, default=0.1)
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--refuse", default="")
    parser.add_argument("--seed", type=int, default=12348)
    args = parser.parse_args()
    refused = set(filter(None, args.refuse.split(",")))
    rng = random.Random(args.seed)
    lock = threading.Lock()
    db = sqlite3.connect(args.db, check_same_thread=False, isolation_level=None)
    db.executescript(SCHEMA)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # quiet
            return

        def answer(self, status: int, body: dict[str, object], key: str | None) -> None:
            with lock:
                db.execute(
                    "INSERT INTO requests (key, status, at) VALUES (?, ?, ?)", (key, status, time.time())
                )
            data = json.dumps(body, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            key = self.headers.get("Idempotency-Key")
            if not signature_valid(
                args.secret, body, self.headers.get("X-Hotline-Signature", ""), int(time.time())
            ):
                self.answer(401, {"error": "bad signature"}, key)
                return
            try:
                document = json.loads(body)
                # /gov-12345 takes the 12345 hotline's documents; any other path case records'.
                destination = Destination.gov_12345 if self.path == "/gov-12345" else Destination.case_records
                check_payload(destination, document)
            except Exception as exc:
                self.answer(422, {"error": str(exc)}, key)
                return
            ticket = document["ticket"]["number"]
            if ticket in refused:
                self.answer(422, {"error": f"ticket {ticket} is not accepted here"}, key)
                return
            with lock:
                draw = rng.random()
            if draw < args.fail:
                self.answer(503, {"error": "try again later"}, key)
                return
            with lock:
                if db.execute("SELECT 1 FROM cases WHERE key = ?", (key,)).fetchone():
                    duplicate = True
                else:
                    duplicate = False
                    last = db.execute(
                        "SELECT max(sequence) FROM cases WHERE ticket = ?", (ticket,)
                    ).fetchone()[0]
                    if document["sequence"] != (last or 0) + 1:
                        db.execute(
                            "INSERT INTO out_of_order VALUES (?, ?, ?)",
                            (key, (last or 0) + 1, document["sequence"]),
                        )
                    db.execute(
                        "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?)",
                        (key, ticket, document["sequence"], document["event"], body.decode(), time.time()),
                    )
            if draw < args.fail + args.slow:
                time.sleep(args.slow_seconds)  # stored, but the answer comes too late
            self.answer(200, {"duplicate": duplicate}, key)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
