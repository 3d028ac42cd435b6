"""An unexpected error's traceback reaches the log panel, and its message the user: the
path an OSError names (a folder named after a patient) is hidden there, as the project
hides it in the paths it stores."""

from __future__ import annotations

import logging

from ssl_studio.core.data.privacy import hide_error_paths
from ssl_studio.gui.jobs import JobRunner
from ssl_studio.gui.panels import loss_curves

NAME = "Doe_Jane_1970"


def fail_on_a_patient_folder(tmp_path):
    open(tmp_path / NAME / "scan.png", "rb")  # noqa: SIM115 - raises FileNotFoundError


def test_a_failed_job_logs_its_traceback_without_the_patient_folder(qtbot, tmp_path, caplog):
    runner = JobRunner()
    told: list[str] = []
    runner.failed.connect(lambda title, message: told.append(message))

    def work(report, stop):
        fail_on_a_patient_folder(tmp_path)

    with caplog.at_level(logging.ERROR, logger="ssl_studio.gui"):
        assert runner.start("Job", work)
        qtbot.waitUntil(lambda: bool(told) and not runner.busy, timeout=10_000)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and "FileNotFoundError" in logged
    assert NAME not in logged and NAME not in told[0]
    assert "FileNotFoundError" in told[0]


def test_reading_the_curves_fails_without_the_patient_folder(tmp_path, caplog):
    try:
        fail_on_a_patient_folder(tmp_path)
    except OSError as exc:
        with caplog.at_level(logging.ERROR, logger="ssl_studio.gui"):
            message = loss_curves._message(exc, tmp_path, "The loss curves")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Traceback" in logged and NAME not in logged
    assert message.startswith("The loss curves could not be read (FileNotFoundError")
    assert NAME not in message


def test_paths_quoted_in_a_chained_error_are_hidden():
    try:
        try:
            raise ValueError(f"cannot identify image file '/data/{NAME}/1.png'")
        except ValueError as inner:
            raise RuntimeError("decoding failed") from inner
    except RuntimeError as exc:
        text = hide_error_paths(f"decoding /data/{NAME}/1.png failed: {NAME}.", exc)
    assert NAME not in text and "failed" in text


def test_paths_of_the_errors_an_exception_group_holds_are_hidden():
    group = ExceptionGroup(
        "loading failed", [FileNotFoundError(2, "No such file", f"/d/{NAME}/a.csv")]
    )
    text = hide_error_paths(f"ExceptionGroup: ... /d/{NAME}/a.csv", group)
    assert NAME not in text


def test_a_long_message_without_a_path_is_left_as_it_is():
    """A 20 000-character token took seconds to search for paths (backtracking)."""
    long = "x" * 20_000
    error = ValueError(f"{long} then /d/{NAME}/b.csv")
    text = hide_error_paths(f"{long} then /d/{NAME}/b.csv", error)
    assert text.startswith(long) and NAME not in text
