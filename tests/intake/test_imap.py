"""IMAP polling against a real dovecot (Debian's dovecot-imapd), started here with its own config."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from tests.intake.conftest import free_port, make_raw
from triage.db import Channel, MailboxCursor, Message
from triage.intake import imap

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "jobs", "imap-test-password"

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class Dovecot:
    """One dovecot instance in a private folder; stop() and start() keep its mail (a server restart)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        if os.geteuid() == 0:
            internal, login = pwd.getpwnam("dovecot"), pwd.getpwnam("dovenull")
            mail = internal
        else:  # an unprivileged developer: everything runs as them
            internal = login = mail = pwd.getpwuid(os.geteuid())
        for sub in ("run", "state", "mail", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(root / sub, mail.pw_uid, mail.pw_gid) if os.geteuid() == 0 else None
        (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (root / "dovecot.conf").write_text(
            CONFIG.format(
                root=root,
                internal=internal.pw_name,
                internal_group=_group(internal.pw_gid),
                login=login.pw_name,
                uid=mail.pw_uid,
                gid=mail.pw_gid,
                port=self.port,
            )
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> Dovecot:
        with (self.root / "stderr.log").open("ab") as errors:
            self.process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=errors
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                logs = [
                    (self.root / n).read_text(errors="replace")
                    for n in ("stderr.log", "dovecot.log")
                    if (self.root / n).exists()
                ]
                raise RuntimeError(f"dovecot exited: {' '.join(logs)[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not answer")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def source(self, *folders: str) -> imap.Source:
        return imap.Source("127.0.0.1", self.port, USER, PASSWORD, folders or ("INBOX",), security="none")

    def append(self, folder: str, *raws: bytes) -> None:
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in raws:
                client.append(folder, raw)


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


@pytest.fixture
def dovecot():
    if not DOVECOT.exists():
        pytest.skip(
            "IMAP TESTS SKIPPED: /usr/sbin/dovecot is missing — "
            "install Debian's dovecot-imapd (apt-get install dovecot-imapd) to run them"
        )
    # Outside pytest's private tmp: dovecot's unprivileged login processes must reach this folder.
    root = Path(tempfile.mkdtemp(prefix="triage-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root).start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def _stored(database) -> int:
    with database.session() as s:
        return s.scalar(select(func.count()).select_from(Message))


def test_new_mail_is_stored_once_and_never_marked_seen(dovecot, database, redis_client):
    dovecot.append("INBOX", make_raw(body="one", crlf=True), make_raw(body="two", crlf=True))
    first = imap.poll_once(dovecot.source(), database, redis_client)
    second = imap.poll_once(dovecot.source(), database, redis_client)
    with dovecot.client() as client:
        client.select_folder("INBOX", readonly=True)
        flags = client.get_flags(client.search("ALL"))
    with database.session() as s:
        channels = set(s.scalars(select(Message.channel)))
    assert (first, second, _stored(database), channels) == (2, 0, 2, {Channel.imap})
    assert all(b"\\Seen" not in f for f in flags.values())


def test_cursor_keeps_uidvalidity_and_last_uid_per_folder(dovecot, database):
    dovecot.append("INBOX", make_raw(crlf=True))
    dovecot.append("Jobs", make_raw(crlf=True), make_raw(crlf=True))
    imap.poll_once(dovecot.source("INBOX", "Jobs"), database)
    with database.session() as s:
        cursors = {c.folder: (c.last_uid, c.uidvalidity > 0) for c in s.scalars(select(MailboxCursor))}
    assert cursors == {"INBOX": (1, True), "Jobs": (2, True)}


def test_server_restart_resumes_after_the_last_uid(dovecot, database):
    dovecot.append("INBOX", make_raw(body="before", crlf=True))
    imap.poll_once(dovecot.source(), database)
    dovecot.stop()
    dovecot.start()
    dovecot.append("INBOX", make_raw(body="after", crlf=True))
    assert (imap.poll_once(dovecot.source(), database), _stored(database)) == (1, 2)


def test_changed_uidvalidity_rereads_without_duplicate_rows(dovecot, database):
    raws = [make_raw(body=f"m{i}", crlf=True) for i in range(3)]
    dovecot.append("Jobs", *raws)
    imap.poll_once(dovecot.source("Jobs"), database)
    with dovecot.client() as client:  # the folder is recreated: same mail, new UIDVALIDITY
        client.delete_folder("Jobs")
    dovecot.append("Jobs", *raws, make_raw(body="new", crlf=True))
    assert (imap.poll_once(dovecot.source("Jobs"), database), _stored(database)) == (1, 4)


def test_poller_survives_the_server_going_away(dovecot, database):
    stop = threading.Event()
    thread = threading.Thread(target=imap.run, args=(dovecot.source(), database, None, 0.1, stop))
    thread.start()
    try:
        dovecot.append("INBOX", make_raw(crlf=True))
        _wait_for(lambda: _stored(database) == 1)
        dovecot.stop()
        time.sleep(0.5)  # the poller meets a refused connection at least once
        dovecot.start()
        dovecot.append("INBOX", make_raw(crlf=True))
        _wait_for(lambda: _stored(database) == 2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def _wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
