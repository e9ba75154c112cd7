"""The embedded broker of `make run` survives a reader racing a writer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from kombu import Connection

import leadflow.celery  # noqa: F401  (installs the atomic file transport)
from leadflow.lib import filebroker


@pytest.fixture
def broker(tmp_path: Path) -> Connection:
    folder = tmp_path / "queue"
    control = tmp_path / "control"
    folder.mkdir()
    control.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(control),
        "store_processed": False,
    }
    with Connection("filesystem://", transport_options=options) as conn:
        yield conn


def test_filesystem_url_uses_the_atomic_transport(broker: Connection) -> None:
    assert isinstance(broker.default_channel, filebroker.Channel)


def test_a_message_being_written_is_invisible_and_a_broken_one_is_skipped(
    broker: Connection,
) -> None:
    queue = broker.SimpleQueue("ring")
    folder = Path(broker.transport_options["data_folder_in"])
    # A writer half way (kombu's own transport left exactly this: an empty file, final name).
    (folder / "1_a.ring.msg.0f.part").write_bytes(b"")
    (folder / "2_b.ring.msg").write_bytes(b'{"half": ')
    queue.put({"lead_id": 7})
    message = queue.get(timeout=2)
    assert message.payload == {"lead_id": 7}
    message.ack()
    with pytest.raises(queue.Empty):
        queue.get(timeout=0.3)
    queue.close()


def test_a_reader_polling_while_a_writer_writes_gets_every_message(broker: Connection) -> None:
    count = 300
    received: list[int] = []
    errors: list[BaseException] = []

    def read() -> None:
        with broker.clone() as conn:
            q = conn.SimpleQueue("default")
            deadline = time.monotonic() + 60
            try:
                while len(received) < count and time.monotonic() < deadline:
                    try:
                        m = q.get(timeout=1)
                    except q.Empty:
                        continue
                    received.append(m.payload["n"])
                    m.ack()
            except BaseException as exc:  # the worker dying is what this test is about
                errors.append(exc)
            finally:
                q.close()

    reader = threading.Thread(target=read)
    reader.start()
    q = broker.SimpleQueue("default")
    for n in range(count):
        q.put({"n": n, "pad": "x" * 20_000})
    reader.join(timeout=60)
    q.close()
    assert errors == []
    assert sorted(received) == list(range(count))
