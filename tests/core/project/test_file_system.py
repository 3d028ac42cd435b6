"""Telling a network or cluster file system from a local one: Linux by a (fake) mount
table, macOS by a fake statfs, Windows by paths and a fake GetDriveTypeW."""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import pytest

from ssl_studio.core.project import file_system as fs
from ssl_studio.core.project.file_system import (
    DRIVE_REMOTE,
    MNT_LOCAL,
    RemoteMount,
    linux_remote,
    macos_remote,
    parse_mountinfo,
    parse_mounts,
    remote_file_system,
    windows_remote,
)

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
40 22 0:50 / /data rw,relatime shared:20 - nfs4 server:/export rw,vers=4.2,local_lock=none
41 40 8:2 / /data/scratch rw,relatime shared:21 - ext4 /dev/sdb1 rw
42 22 0:51 / /mnt/share rw,relatime shared:22 - cifs //srv/share rw,vers=3.1.1,nobrl
43 22 0:50 /export/alice /home/alice/proj rw,relatime shared:20 - nfs4 server:/export rw
44 22 0:52 / /mnt/my\\040share rw master:5 - smb3 //srv/x rw
45 22 0:53 / /media/usb rw - fuseblk /dev/sdc1 rw
46 22 0:54 / /home/alice/proj rw - tmpfs tmpfs rw
47 22 0:55 / /lus rw - lustre 10.0.0.1@o2ib:/fs rw,flock
"""


def remote(path: str, text: str = MOUNTINFO) -> RemoteMount | None:
    return linux_remote(path, parse_mountinfo(text))


def test_the_longest_mount_point_above_a_path_wins() -> None:
    assert remote("/home/bob/project") is None  # only / (ext4) is above it
    assert remote("/data/study/project") == RemoteMount("nfs4")
    assert remote("/data") == RemoteMount("nfs4")
    assert remote("/data/scratch/project") is None  # a local disk mounted inside the share
    assert remote("/datasets/project") is None  # /data is not a folder above /datasets
    assert remote("/lus/project") == RemoteMount("lustre")  # a cluster file system


def test_a_later_mount_on_the_same_point_hides_the_earlier() -> None:
    # /home/alice/proj is a bind mount of a folder of the NFS export, then a tmpfs on top
    assert remote("/home/alice/proj/x") is None
    bind_only = "\n".join(line for line in MOUNTINFO.splitlines() if " tmpfs " not in line)
    assert remote("/home/alice/proj/x", bind_only) == RemoteMount("nfs4")


def test_spaces_in_mount_points_are_unescaped() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert "/mnt/my share" in [m.point for m in mounts]
    assert remote("/mnt/my share/project") == RemoteMount("smb3")
    assert remote("/mnt/my/project") is None


def test_locks_kept_on_this_machine_are_noticed() -> None:
    assert remote("/mnt/share/project") == RemoteMount("cifs", local_locks=True)
    assert remote("/data/project") == RemoteMount("nfs4", local_locks=False)  # local_lock=none


def test_local_and_fuse_block_devices_are_local() -> None:
    assert remote("/media/usb/project") is None  # fuseblk: ntfs-3g on a USB disk


def test_proc_mounts_is_read_when_mountinfo_is_not_there(tmp_path, monkeypatch) -> None:
    share = tmp_path / "share"
    (share / "project").mkdir(parents=True)
    mounts = tmp_path / "mounts"
    point = str(share.resolve()).replace(" ", "\\040")
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nsrv:/x {point} nfs rw,nolock 0 0\n")
    monkeypatch.setattr(fs, "MOUNTINFO", tmp_path / "missing")
    monkeypatch.setattr(fs, "MOUNTS", mounts)
    monkeypatch.setattr(sys, "platform", "linux")
    assert remote_file_system(share / "project") == RemoteMount("nfs", local_locks=True)
    assert parse_mounts("garbage\n\n") == []


def test_links_are_resolved_before_the_mount_table_is_read(tmp_path, monkeypatch) -> None:
    share = tmp_path / "share"
    (share / "project").mkdir(parents=True)
    (tmp_path / "link").symlink_to(share / "project")
    info = tmp_path / "mountinfo"
    info.write_text(f"22 1 8:1 / / rw - ext4 /dev/sda1 rw\n50 22 0:9 / {share.resolve()} rw - "
                    "fuse.sshfs alice@host:/p rw\n")  # fmt: skip
    monkeypatch.setattr(fs, "MOUNTINFO", info)
    monkeypatch.setattr(sys, "platform", "linux")
    assert remote_file_system(tmp_path / "link") == RemoteMount("fuse.sshfs")
    assert remote_file_system(tmp_path) is None


def test_without_proc_every_folder_is_local(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(fs, "MOUNTINFO", tmp_path / "no-proc" / "mountinfo")
    monkeypatch.setattr(fs, "MOUNTS", tmp_path / "no-proc" / "mounts")
    monkeypatch.setattr(sys, "platform", "linux")
    assert remote_file_system(tmp_path) is None


def test_a_failing_detection_counts_as_local(tmp_path, monkeypatch) -> None:
    def broken() -> list[fs.Mount]:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(fs, "_read_mount_table", broken)
    monkeypatch.setattr(sys, "platform", "linux")
    assert remote_file_system(tmp_path) is None
    assert parse_mountinfo("1 2 3\nno separator here\n") == []


# ---- Windows --------------------------------------------------------------------------


def drive_types(**types: int):
    """A fake GetDriveTypeW: ``Z=4`` makes Z:\\ a network drive; others are fixed (3)."""
    return lambda root: types.get(root[0].upper(), 3)


def test_windows_shares_and_mapped_network_drives_are_remote() -> None:
    types = drive_types(Z=DRIVE_REMOTE)
    assert windows_remote(r"\\server\share\project", types) == RemoteMount("network share")
    assert windows_remote("//server/share/project", types) == RemoteMount("network share")
    assert windows_remote(r"\\?\UNC\server\share\p", types) == RemoteMount("network share")
    assert windows_remote(r"Z:\studies\project", types) == RemoteMount("network share")
    assert windows_remote(r"\\?\Z:\studies\project", types) == RemoteMount("network share")
    assert windows_remote(r"C:\Users\alice\project", types) is None
    assert windows_remote(r"\\?\C:\Users\alice\project", types) is None


def test_windows_detection_is_used_on_windows(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(fs, "windows_remote", lambda path, types: seen.append(path))
    remote_file_system(Path("project"))
    assert len(seen) == 1 and seen[0].endswith("project")
    # (no windll here: _drive_type raises, and that reads as local)
    monkeypatch.setattr(fs, "windows_remote", windows_remote)
    monkeypatch.setattr(fs.os.path, "abspath", lambda p: r"Z:\project")
    assert remote_file_system(Path("project")) is None


# ---- macOS ----------------------------------------------------------------------------


def fake_statfs(kind: bytes, flags: int, result: int = 0):
    """A fake libc statfs that fills ``f_fstypename`` and ``f_flags``."""

    def statfs(path: bytes, out: object) -> int:
        assert isinstance(path, bytes)
        target = ctypes.cast(out, ctypes.POINTER(fs._StatFs)).contents
        target.f_fstypename = kind
        target.f_flags = flags
        return result

    return statfs


def test_macos_network_file_systems_are_remote() -> None:
    assert macos_remote("/Volumes/share", fake_statfs(b"smbfs", 0)) == RemoteMount("smbfs")
    assert macos_remote("/Volumes/x", fake_statfs(b"afpfs", 0)) == RemoteMount("afpfs")
    assert macos_remote("/Volumes/y", fake_statfs(b"mystery", 0)) == RemoteMount("mystery")
    assert macos_remote("/Users/a", fake_statfs(b"apfs", MNT_LOCAL)) is None
    assert macos_remote("/Users/a", fake_statfs(b"apfs", 0, result=-1)) is None


def test_macos_detection_is_used_on_macos(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(fs, "macos_remote", lambda path: RemoteMount("smbfs"))
    assert remote_file_system(tmp_path) == RemoteMount("smbfs")


@pytest.mark.skipif(
    sys.platform != "darwin",
    reason="calls the real libc statfs, whose struct layout is macOS's (Linux's differs)",
)
def test_macos_statfs_of_a_local_folder(tmp_path) -> None:  # pragma: no cover - macOS
    assert macos_remote(str(tmp_path)) is None


CLUSTER_MOUNTS = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
50 22 0:60 / /lustre/flock rw - lustre 10.0.0.1@o2ib:/fs rw,flock,lazystatfs
51 22 0:61 / /lustre/local rw - lustre 10.0.0.1@o2ib:/fs rw,localflock
52 22 0:62 / /lustre/none rw - lustre 10.0.0.1@o2ib:/fs rw,lazystatfs
53 22 0:63 / /ocfs rw - ocfs2 /dev/sdd1 rw,localflocks
54 22 0:64 / /ocfs2 rw - ocfs2 /dev/sde1 rw
55 22 0:65 / /nfs/posix rw - nfs4 server:/x rw,vers=4.2,local_lock=posix
56 22 0:66 / /nfs/flock rw - nfs server:/y rw,local_lock=flock
"""


def test_node_local_locks_of_cluster_file_systems_are_noticed() -> None:
    """Lustre localflock, OCFS2 localflocks and NFS local_lock=posix keep locks on each
    node: two nodes could both write project.db, and nothing said so."""

    def locks_local(path: str) -> bool:
        mount = remote(path, CLUSTER_MOUNTS)
        assert mount is not None
        return mount.local_locks

    assert not locks_local("/lustre/flock/p")  # cluster-wide flock
    assert locks_local("/lustre/local/p")
    assert locks_local("/lustre/none/p")  # neither: node-local or refused
    assert locks_local("/ocfs/p")
    assert not locks_local("/ocfs2/p")
    assert locks_local("/nfs/posix/p")
    assert locks_local("/nfs/flock/p")
