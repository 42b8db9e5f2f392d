"""What every benchmark shares: settings for child processes, databases reused by seed
parameters, child processes with their peak RSS, medians, the result table and its JSON.

Timings are taken inside child processes (Django start-up excluded) and peak RSS is the
child's own ru_maxrss from wait4, so each figure belongs to one real process.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/leapdash_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
REPS = 3
SKIP_DIRS = {"node_modules", "__pycache__", "static", "staticfiles", "templates", "bench"}

STARTED = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, so stdout stays the result table."""
    elapsed = time.monotonic() - STARTED
    print(f"[bench {elapsed:6.0f}s] {message}", file=sys.stderr, flush=True)


# --- settings and databases ----------------------------------------------------------------


def _base_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def db_name(suffix: str) -> str:
    """A bench database named after DATABASE_URL's: leapdash_bench → leapdash_bench_<suffix>."""
    base = urlsplit(_base_url()).path.lstrip("/") or "leapdash_bench"
    return f"{base}_{suffix}"


def db_url(name: str) -> str:
    parts = urlsplit(_base_url())
    return parts._replace(path="/" + name).geturl()


def child_env(database: str, **extra: str) -> dict[str, str]:
    """Environment for a Django child process on `database` (the test profile otherwise)."""
    env = dict(os.environ)
    env.setdefault("ENV_FILE", "leapdash/profiles/test.env")
    env["DATABASE_URL"] = db_url(database)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    env["LOG_LEVEL"] = "WARNING"
    # bench processes need no collected static files: keep whitenoise's warning out
    env["PYTHONWARNINGS"] = "ignore"
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def setup_django() -> None:
    """In a child: settings from the environment the parent prepared, then django.setup()."""
    os.environ.setdefault("ENV_FILE", "leapdash/profiles/test.env")
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leapdash.settings")
    os.chdir(ROOT)
    import django

    django.setup()


def _admin_connect(dbname: str = "postgres") -> Any:
    import psycopg

    return psycopg.connect(db_url(dbname), autocommit=True)


def sql(database: str, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on a bench database from the parent; rows if it returns any."""
    with _admin_connect(database) as conn, conn.cursor() as cur:
        cur.execute(statement, params)
        return cur.fetchall() if cur.description else []


def migrations_hash() -> str:
    """Changes when any migration does: a reused database must have today's schema."""
    digest = hashlib.sha256()
    paths = []
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS]
        if Path(top).name == "migrations":
            paths += [Path(top) / f for f in files if f.endswith(".py")]
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _marker(database: str) -> dict[str, Any] | None:
    try:
        rows = sql(database, "SELECT value FROM bench_marker WHERE key = 'seed'")
    except Exception:  # no database or no marker table: build it
        return None
    if not rows:
        return None
    marker = json.loads(rows[0][0])
    if "params" not in marker:  # the first layout: parameters and migrations side by side
        migrations = marker.pop("migrations", None)
        marker = {"params": marker, "migrations": migrations}
    return dict(marker)


def _write_marker(database: str, marker: dict[str, Any]) -> None:
    sql(database, "CREATE TABLE IF NOT EXISTS bench_marker (key text PRIMARY KEY, value text)")
    sql(
        database,
        "INSERT INTO bench_marker VALUES ('seed', %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        [json.dumps(marker, sort_keys=True)],
    )


def ensure_db(database: str, params: dict[str, Any], build: Callable[[str], None]) -> bool:
    """Reuse `database` if it was built with exactly these parameters; otherwise recreate,
    migrate and build it. True if it was rebuilt. New migrations since the build are applied
    to the seeded data (they add to it); if that fails, the database is rebuilt."""
    marker = _marker(database)
    migrations = migrations_hash()
    if marker is not None and marker.get("params") == params:
        if marker.get("migrations") == migrations:
            say(f"reusing {database} ({params})")
            return False
        try:
            migrate(database)
            _write_marker(database, {"params": params, "migrations": migrations})
            say(f"reusing {database} ({params}), new migrations applied")
            return False
        except subprocess.CalledProcessError:
            say(f"{database}: new migrations do not apply to the seeded data; rebuilding")
    say(f"building {database} ({params})")
    with _admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    migrate(database)
    build(database)
    _write_marker(database, {"params": params, "migrations": migrations})
    return True


def migrate(database: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=child_env(database),
        check=True,
    )


# --- child processes ------------------------------------------------------------------------


@dataclass
class ChildResult:
    data: dict[str, Any]
    peak_rss_mb: float
    wall_seconds: float


def run_child(
    module: str, task: str, args: dict[str, Any], env: dict[str, str], timeout: float = 3600
) -> ChildResult:
    """Run `python -m bench.<module> <task> <json>`; its last stdout line is its JSON answer.
    Peak RSS comes from wait4's rusage of exactly that child."""
    with tempfile.TemporaryFile() as out:
        started = time.monotonic()
        proc = subprocess.Popen(
            [PYTHON, "-m", f"bench.{module}", task, json.dumps(args)],
            cwd=ROOT,
            env=env,
            stdout=out,
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"bench.{module} {task} took over {timeout:.0f}s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"bench.{module} {task} failed (exit {proc.returncode})")
    return ChildResult(json.loads(lines[-1]), usage.ru_maxrss / 1024, wall)


def child_main(tasks: dict[str, Callable[[dict[str, Any]], dict[str, Any]]]) -> None:
    """Entry point of a child: set Django up, run one task, print its JSON answer last."""
    name, args = sys.argv[1], json.loads(sys.argv[2])
    setup_django()
    answer = tasks[name](args)
    print(json.dumps(answer, default=str), flush=True)


def pm_client() -> Any:
    """In a child: Django's test Client logged in as a program manager (user bench-pm).
    setup_test_environment() lets the Client's host in and records template contexts."""
    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.test.utils import setup_test_environment

    from leapdash.accounts.roles import PROGRAM_MANAGERS

    setup_test_environment()
    user, _ = User.objects.get_or_create(username="bench-pm")
    user.groups.add(Group.objects.get(name=PROGRAM_MANAGERS))
    client = Client()
    client.force_login(user)
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A separate gunicorn process serving leapdash (and its sandbox) on 127.0.0.1."""

    def __init__(self, database: str, **extra: str) -> None:
        self.database = database
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = child_env(database, **extra)
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        self.proc = subprocess.Popen(
            [
                gunicorn,
                "leapdash.wsgi:application",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        import requests

        for _ in range(300):
            try:
                requests.get(
                    self.url + "/sandbox/api/v1.1/connections?page-size=1",
                    headers={"Authorization": "Bearer " + self.env.get("LEAP_SANDBOX_API_KEY", "")},
                    timeout=10,
                )
                return self
            except (requests.ConnectionError, requests.Timeout):
                if self.proc.poll() is not None:
                    raise RuntimeError("the sandbox server did not start") from None
                time.sleep(0.1)
        self.__exit__()  # never leave a server behind
        raise RuntimeError("the sandbox server did not answer within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


# --- statistics and results -----------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@dataclass
class Row:
    section: str
    measure: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None  # None: reported only, no target
    note: str = ""
    samples: list[float] = field(default_factory=list)


def ratio_row(
    section: str,
    measure: str,
    value: float,
    baseline: float,
    unit: str,
    baseline_label: str,
    limit: float,
    *,
    at_least: bool = False,
    note: str = "",
    samples: Sequence[float] = (),
) -> Row:
    """A row whose ratio value/baseline must be ≤ limit (or ≥ limit with at_least)."""
    ratio = value / baseline if baseline else float("inf")
    passed = ratio >= limit if at_least else ratio <= limit
    target = f"{'≥' if at_least else '≤'} {limit:g}×"
    return Row(
        section, measure, value, unit, baseline, baseline_label, ratio, target, passed, note,
        list(samples),
    )  # fmt: skip


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 0.1:
        return f"{value:.2f}"
    return f"{value:.4f}"


def table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table (the README's Performance section shows the same)."""
    lines = [
        "| measure | value | baseline | ratio | target | pass |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        value = f"{_fmt(r.value)} {r.unit}".strip()
        baseline = f"{_fmt(r.baseline)} ({r.baseline_label})" if r.baseline is not None else "–"
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "–"
        verdict = {True: "pass", False: "**FAIL**", None: "info"}[r.passed]
        measure = r.measure + (f" — {r.note}" if r.note else "")
        lines.append(
            f"| {measure} | {value} | {baseline} | {ratio} | {r.target or '–'} | {verdict} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""

    try:
        pg = sql("postgres", "SHOW server_version")[0][0]
    except Exception:
        pg = ""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": pg,
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def write_results(
    rows: Sequence[Row], scale: dict[str, Any], seconds: float, name: str = "latest.json"
) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    payload = {
        "machine": machine(),
        "scale": scale,
        "total_seconds": round(seconds, 1),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": [asdict(r) for r in rows],
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
