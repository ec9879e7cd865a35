"""Outreach benchmark: seminar pages and a full class's quiz, beside a trivial endpoint.

    python bench/outreach_bench.py [--attendees 60] [--requests 300]

Builds the app on a fresh temporary data directory (live data: the small demo set), creates a
trainer, opens a session and lets a class of `--attendees` join by code and submit the quiz, then
times, in process through Flask's test client (one thread, so figures are per-request cost, not
network): the matrix page, a deck, the trainer's dashboard and roster export for that class,
training-mode plate lookups (run_lookup + audit + the officer cards on the training set), the
small JSON status an attendee's phone polls every 3 seconds during a seminar, the projection
page's progress counts, the item analysis CSV over the class, and a trivial route added for
scale. Prints p50/p99 latency and sequential throughput per route.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

from lookup import create_app
from lookup.extensions import search_backend
from outreach.library import current_content
from search_index.demo_data import write_demo_data
from search_index.importer import load_directory

try:
    from bench import harness
except ModuleNotFoundError:  # run as `python bench/outreach_bench.py`: bench/ itself is on the path
    import harness  # type: ignore[no-redef]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(client: FlaskClient, path: str) -> str:
    match = _CSRF.search(client.get(path).get_data(as_text=True))
    if match is None:
        raise SystemExit(f"no form token on {path}")
    return match.group(1)


def _time(call: Callable[[], int], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        status = call()
        samples.append(time.perf_counter() - start)
        if status >= 400:
            raise SystemExit(f"request failed with {status}")
    return samples


def _report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = harness.percentile(ordered, 0.99) * 1000
    rate = len(samples) / sum(samples)
    print(f"{name:<44} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   {rate:8.0f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=60)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="dipcheck-outreach-bench-") as work:
        root = Path(work)
        write_demo_data(root / "csv", "small", seed=1)
        app = create_app(data_dir=root / "data", RATELIMIT_ENABLED=False)
        trivial = harness.add_trivial_endpoint(app)
        with app.app_context():
            search_backend().publish(load_directory(root / "csv"))
        created = app.test_cli_runner().invoke(
            args=["outreach", "trainer", "create", "bench", "--name", "Bench Trainer"]
        )
        password = created.output.rsplit(": ", 1)[1].strip()

        trainer = app.test_client()
        trainer.post(
            "/outreach/trainer/login",
            data={
                "username": "bench",
                "password": password,
                "csrf_token": _token(trainer, "/outreach/trainer/login"),
            },
        )
        token = _token(trainer, "/outreach/trainer/")
        opened = trainer.post(
            "/outreach/trainer/sessions",
            data={"seminar": "immunity-basics", "held_on": "2026-01-15", "csrf_token": token},
        )
        session_path = opened.headers["Location"]
        session_id = session_path.rsplit("/", 1)[1]
        code = re.search(  # type: ignore[union-attr]
            r'id="join-code">([A-Z0-9]+)<', trainer.get(session_path).get_data(as_text=True)
        ).group(1)
        trainer.post(
            f"{session_path}/status",
            data={"status": "quiz", "csrf_token": _token(trainer, session_path)},
        )
        with app.test_request_context():
            questions = current_content().questions_for("immunity-basics")

        joins: list[float] = []
        submits: list[float] = []
        for number in range(args.attendees):
            phone = app.test_client()
            form_token = _token(phone, "/outreach/join")
            form = {
                "code": code,
                "name": f"Attendee {number}",
                "agency": "Bench PD",
                "badge": str(1000 + number),
                "csrf_token": form_token,
            }
            joins += _time(lambda p=phone, f=form: p.post("/outreach/join", data=f).status_code, 1)
            answers = {f"q-{q.id}": q.choices[number % len(q.choices)] for q in questions}
            answers["csrf_token"] = form_token
            submits += _time(
                lambda p=phone, a=answers: (
                    p.post(f"/outreach/attend/{session_id}/answers", data=a).status_code
                ),
                1,
            )

        polling_phone = phone  # the last attendee: polls like every phone in the room

        visitor = app.test_client()
        training_token = _token(visitor, "/outreach/training/")
        training_form = {"kind": "plate", "q": "DQX1025", "csrf_token": training_token}
        visitor.post("/outreach/training/lookup", data=training_form)  # builds the training set

        n = args.requests
        print(f"class of {args.attendees}, {len(questions)} questions, {n} requests per route")
        _report("trivial endpoint", _time(lambda: visitor.get(trivial).status_code, n))
        _report(
            "GET /outreach/matrix", _time(lambda: visitor.get("/outreach/matrix").status_code, n)
        )
        _report(
            "GET /outreach/decks/immunity-basics",
            _time(lambda: visitor.get("/outreach/decks/immunity-basics").status_code, n),
        )
        _report(
            f"trainer dashboard ({args.attendees} attendees)",
            _time(lambda: trainer.get(session_path).status_code, n),
        )
        _report(
            f"roster CSV ({args.attendees} attendees)",
            _time(lambda: trainer.get(f"{session_path}/roster.csv").status_code, n),
        )
        _report(
            "GET attendee status.json (the 3 s poll)",
            _time(
                lambda: polling_phone.get(f"/outreach/attend/{session_id}/status.json").status_code,
                n,
            ),
        )
        _report(
            f"GET projection progress.json ({args.attendees})",
            _time(lambda: trainer.get(f"{session_path}/progress.json").status_code, n),
        )
        _report(
            f"GET item-analysis.csv ({args.attendees} answered)",
            _time(lambda: trainer.get("/outreach/trainer/item-analysis.csv").status_code, n),
        )
        _report("POST /outreach/join (each attendee once)", joins)
        _report("POST quiz answers (each attendee once)", submits)
        _report(
            "POST /outreach/training/lookup (plate)",
            _time(
                lambda: visitor.post("/outreach/training/lookup", data=training_form).status_code,
                n,
            ),
        )
        with app.app_context():
            search_backend().close()


if __name__ == "__main__":
    main()
