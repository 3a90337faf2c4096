"""Retake the README's screenshots from what `make run` shows: the demo, logged in as the demo admin.

    cd /work/main && .venv/bin/python docs/screenshots.py

Runs `triage up --demo` in a throwaway TRIAGE_VAR_DIR on free ports (SQLite, embedded Redis, the
local sink, as `make run` does), waits until the demo's mail has gone through the pipeline, then
drives Debian's Chromium (TRIAGE_CHROMIUM, default /usr/bin/chromium; nothing is downloaded) and
writes docs/inbox.png, docs/message.png, docs/reply-preview.png, docs/reply-template.png (the composer
filled from the Status update template), docs/inbox-phone.png and docs/message-phone.png (390 px
wide), docs/overview.png and docs/roles.png.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
TRIAGE = str(Path(sys.executable).with_name("triage"))
CHROMIUM = os.environ.get("TRIAGE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
DEMO_DONE = re.compile(r"demo: .* (\d+) emails through the HTTP intake \((\d+) failed\)")
FEED_SECONDS = 900  # feeding ~770 emails through HTTP on a busy 2-core machine
PROCESS_SECONDS = 600  # the worker finishing what was fed


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on now (all bound at once so they differ)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def demo_env(var_dir: Path) -> dict[str, str]:
    """`make run`'s environment: defaults for everything but where state lives and the ports."""
    web, smtp, sink = free_ports(3)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "TRIAGE_BASE_URL")}
    env.update(
        TRIAGE_VAR_DIR=str(var_dir),
        TRIAGE_PORT=str(web),
        TRIAGE_SMTP_PORT=str(smtp),
        TRIAGE_SINK_PORT=str(sink),
        PYTHONUNBUFFERED="1",
    )
    return env


class Up:
    """`triage up --demo` as a child, its output (stdout and stderr) kept and watched for lines."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [TRIAGE, "up", "--demo"],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def tail(self, count: int = 25) -> str:
        """The last lines that are not gunicorn's access log (the demo alone makes ~770 of those)."""
        return "\n".join(
            [line for line in self.lines if '"POST /api/v1/' not in line and '"GET /' not in line][-count:]
        )

    def wait_for_line(self, pattern: re.Pattern, seconds: float) -> re.Match:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in self.lines:
                if found := pattern.search(line):
                    return found
            if self.process.poll() is not None:
                raise SystemExit(f"triage up exited with status {self.process.returncode}")
            time.sleep(1)
        raise SystemExit(f"no line matching {pattern.pattern!r} within {seconds:.0f}s")

    def stop(self) -> bool:
        """SIGTERM to its pid; True when it stopped cleanly and said so."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.reader.join(timeout=10)
        return self.process.returncode == 0 and "Triage stopped." in self.lines


def wait_until_processed(database_url: str, expected: int, seconds: float) -> dict[str, int]:
    """Poll the database until every fed message has left the `received` state."""
    from sqlalchemy import func, select

    from triage.db import Database, Message
    from triage.db.enums import MessageState

    database = Database(database_url)
    deadline = time.monotonic() + seconds
    try:
        while True:
            with database.session() as session:
                by_state = dict(session.execute(select(Message.state, func.count()).group_by(Message.state)).all())
            total, waiting = sum(by_state.values()), by_state.get(MessageState.received, 0)
            if total >= expected and not waiting:
                return {str(state): n for state, n in by_state.items()}
            if time.monotonic() > deadline:
                raise SystemExit(f"after {seconds:.0f}s: {waiting} of {total} messages still unprocessed")
            time.sleep(2)
    finally:
        database.dispose()


def showcase_message(database_url: str) -> int:
    """A forwarded candidate email in Today: the view shows the unwrapped original and its sender."""
    from sqlalchemy import select

    from triage.db import Database, Message
    from triage.db.enums import Lane, MessageState

    database = Database(database_url)
    try:
        with database.session() as session:
            forwarded = (
                select(Message.id)
                .where(Message.forwarded_by_id.is_not(None), Message.state == MessageState.triaged)
                .order_by(Message.received_at.desc())
            )
            found = session.scalar(forwarded.where(Message.lane == Lane.today).limit(1)) or session.scalar(
                forwarded.limit(1)
            )
    finally:
        database.dispose()
    if found is None:
        raise SystemExit("the demo has no forwarded message open in a lane")
    return found


def save(page, name: str) -> None:
    # caret="initial": hiding the caret leaves style="" on every input, which htmx's settle step
    # then copies onto swapped-in fields, and the page's CSP (style-src 'self') reports that.
    page.screenshot(path=str(DOCS / f"{name}.png"), caret="initial")


def shoot(base_url: str, email: str, password: str, message_id: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
        page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))

        page.goto(base_url + "/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(base_url + "/")

        page.goto(base_url + "/?lane=today")
        expect(page.locator("tr.msg-row").first).to_be_visible()
        save(page, "inbox")

        page.goto(f"{base_url}/messages/{message_id}")
        expect(page.locator("#subject")).to_be_visible()
        page.locator("details.quoted summary").first.click()  # the candidate's whole message, as unwrapped
        save(page, "message")

        reply_preview(page)
        save(page, "reply-preview")

        page.goto(f"{base_url}/messages/{message_id}")
        page.locator("#template").select_option(label="status update · Status update")
        expect(page.locator("#reply-body")).not_to_have_value("")
        page.locator("#reply-title").evaluate("heading => heading.scrollIntoView({block: 'start'})")
        save(page, "reply-template")

        page.set_viewport_size(PHONE)
        page.goto(base_url + "/?lane=today")
        save(page, "inbox-phone")
        page.goto(f"{base_url}/messages/{message_id}")
        save(page, "message-phone")
        page.set_viewport_size(VIEWPORT)

        page.goto(base_url + "/hiring/overview")
        save(page, "overview")

        page.goto(base_url + "/roles")
        save(page, "roles")
        browser.close()
    if problems:
        raise SystemExit("the pages reported errors:\n" + "\n".join(problems))


def reply_preview(page) -> None:
    """Fill the reply form as a recruiter would, press Preview and bring the preview into view."""
    from playwright.sync_api import expect

    first = page.locator("p.meta strong").first.inner_text().split()[0]
    page.locator("#reply-body").fill(
        f"Hi {first},\n\nThanks for your message - I'll come back to you by Friday with the next steps.\n\n"
        "Best regards,\nDemo Admin"
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#preview")).to_be_visible()
    page.locator("#reply-title").evaluate("heading => heading.scrollIntoView({block: 'start'})")


def main() -> None:
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TRIAGE_CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="triage-shots-") as tmp:
        var_dir = Path(tmp) / "var"
        env = demo_env(var_dir)
        os.environ.update(env)  # this process reads the same database
        for command in (["db", "upgrade"], ["users", "demo-admin"]):
            done = subprocess.run([TRIAGE, *command], env=env, cwd=ROOT, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"triage {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
        email, password = (var_dir / "demo-login.txt").read_text().split()
        from triage import config

        settings = config.load()
        up = Up(env)
        try:
            done = up.wait_for_line(DEMO_DONE, FEED_SECONDS)
            accepted, failed = int(done[1]), int(done[2])
            if failed:
                raise SystemExit(f"the demo could not feed {failed} emails")
            by_state = wait_until_processed(settings.database_url, accepted, PROCESS_SECONDS)
            print(f"demo processed: {accepted} emails, by state {by_state}", flush=True)
            shoot(settings.base_url, email, password, showcase_message(settings.database_url))
        except BaseException:
            up.stop()
            print(f"--- triage up said:\n{up.tail()}", file=sys.stderr)
            raise
        if not up.stop():
            raise SystemExit(f"triage up did not stop cleanly (status {up.process.returncode}):\n{up.tail()}")
    print('triage up stopped cleanly (it printed "Triage stopped.")')
    names = ("inbox", "message", "reply-preview", "reply-template", "inbox-phone", "roles")
    print("wrote " + ", ".join(f"docs/{n}.png" for n in names))


if __name__ == "__main__":
    main()
