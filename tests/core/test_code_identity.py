"""The exact code a run was trained with: the git commit of the checkout SSL Studio runs
from (read from .git's files: a worktree's, packed refs, a detached HEAD), "dirty" when
its package folder changed, else the installed version; recorded with every run's
versions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import ssl_studio.core.code_identity as identity
from ssl_studio.core.engine.checkpoint import versions

SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "89abcdef0123456789abcdef0123456789abcdef"


def test_head_is_read_from_loose_and_packed_refs_of_a_checkout_or_worktree(tmp_path):
    git = tmp_path / "repo" / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{OTHER} refs/heads/main\n")
    assert identity.head_commit(git) == OTHER  # packed only
    (git / "refs" / "heads" / "main").write_text(SHA + "\n")
    assert identity.head_commit(git) == SHA  # the loose ref wins
    # a worktree: .git is a file naming its folder, whose commondir is the main .git
    tree = git / "worktrees" / "wt"
    tree.mkdir(parents=True)
    (tree / "HEAD").write_text("ref: refs/heads/main\n")
    (tree / "commondir").write_text("../..\n")
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text(f"gitdir: {tree}\n")
    assert identity.head_commit(tmp_path / "wt" / ".git") == SHA
    (tree / "HEAD").write_text(OTHER + "\n")  # detached
    assert identity.head_commit(tmp_path / "wt" / ".git") == OTHER
    assert identity.head_commit(tmp_path / "nothing" / ".git") is None
    (git / "HEAD").write_text("garbage")
    assert identity.head_commit(git) is None


def test_the_running_code_is_named_and_recorded_with_the_versions(monkeypatch):
    named = identity.code_identity()
    checkout = Path(identity.__file__).resolve().parents[2]
    git = shutil.which("git")
    if (checkout / ".git").exists() and git:
        head = subprocess.run(
            [git, "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        assert named in (f"git {head}", f"git {head} dirty")
    assert versions()["ssl_studio_code"] == named
    # without git to ask about changes: said, not guessed; without a checkout: installed
    identity.code_identity.cache_clear()
    try:
        monkeypatch.setattr(identity.shutil, "which", lambda name: None)
        monkeypatch.setattr(identity, "head_commit", lambda dot_git: SHA)
        assert identity.code_identity() == f"git {SHA} (changes not checked: git not found)"
        identity.code_identity.cache_clear()
        monkeypatch.setattr(identity, "head_commit", lambda dot_git: None)
        assert identity.code_identity().endswith(" (installed)")
    finally:
        identity.code_identity.cache_clear()


def test_a_checkout_git_refuses_is_said_so_not_taken_for_a_missing_git(monkeypatch):
    """A checkout another user owns (a shared install): git refuses it ("dubious
    ownership") and the identity said "git not found", which was false."""
    refusal = "fatal: detected dubious ownership in repository at '/opt/ssl-studio'\n"

    def refused(args, **kwargs):
        return subprocess.CompletedProcess(args, 128, stdout="", stderr=refusal)

    identity.code_identity.cache_clear()
    try:
        monkeypatch.setattr(identity.shutil, "which", lambda name: "/usr/bin/git")
        monkeypatch.setattr(identity, "head_commit", lambda dot_git: SHA)
        monkeypatch.setattr(identity.subprocess, "run", refused)
        assert identity.code_identity() == (
            f"git {SHA} (changes not checked: git refused this checkout: another user owns "
            "it (git's safe.directory))"
        )
    finally:
        identity.code_identity.cache_clear()
