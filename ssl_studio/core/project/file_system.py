"""Whether a folder is on a network (or cluster) file system, on Linux, macOS and Windows.

SQLite's WAL mode keeps its index in a memory-mapped ``-shm`` file that every process using
the database must share: processes on two machines (or a VM and its host) do not share that
memory, so "WAL does not work over a network filesystem" (sqlite.org/wal.html). The project
store asks ``remote_file_system(folder)`` and uses the rollback journal there instead.

What counts as remote (``REMOTE_TYPES``): file shares (NFS, SMB/CIFS, AFP, AFS, NCP,
WebDAV, sshfs and other FUSE network clients); VM shared folders (9p/drvfs of WSL2,
virtiofs, vboxsf, vmhgfs), whose other side is another kernel; and cluster file systems
(Lustre, GPFS/Spectrum Scale, BeeGFS, CephFS, GlusterFS, OCFS2, GFS2, ...). The last are
counted remote on purpose: memory maps there are coherent within one node at best, and
the usual case is a GUI on a login node viewing a project while a job on a compute node
writes it. The price is speed (the rollback journal), never safety.

Detection never raises: anything it cannot tell is local, so opening a project never
fails because of it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# Linux fstype names (the third-from-last field of /proc/self/mountinfo) and macOS
# f_fstypename values that are remote; see the module docstring for why each group is here
REMOTE_TYPES = frozenset(
    {
        # file shares
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "afpfs", "ncpfs", "afs", "coda",
        "webdav", "davfs", "ftp",
        "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.davfs",
        "fuse.smbnetfs", "fuse.curlftpfs", "fuse.gvfsd-fuse", "fuse.juicefs",
        # a VM's shared folders: the host is another kernel
        "9p", "drvfs", "virtiofs", "vboxsf", "vmhgfs", "fuse.vmhgfs-fuse",
        # cluster file systems (several nodes; maps are not coherent between them)
        "lustre", "gpfs", "beegfs", "ceph", "fuse.ceph", "fuse.ceph-fuse", "glusterfs",
        "fuse.glusterfs", "ocfs2", "gfs2", "panfs", "wekafs", "fuse.lizardfs",
        "fuse.moosefs", "fuse.mfs",
    }
)  # fmt: skip

# mount options under which file locks stay on this machine (another machine's SQLite
# and SSL Studio's write lock do not see them): CIFS nobrl, NFS nolock / local_lock (all,
# flock for the write lock, posix for SQLite's), Lustre localflock, OCFS2 localflocks
LOCAL_LOCK_OPTIONS = frozenset(
    {
        "nobrl", "nolock", "local_lock=all", "local_lock=flock", "local_lock=posix",
        "localflock", "localflocks",
    }
)  # fmt: skip
# file systems whose locks reach the other nodes only with this mount option (Lustre:
# without "flock" its locks are node-local, "localflock", or refused, "noflock")
CLUSTER_LOCK_OPTION = {"lustre": "flock"}

MOUNTINFO = Path("/proc/self/mountinfo")
MOUNTS = Path("/proc/mounts")
DRIVE_REMOTE = 4  # GetDriveTypeW
MNT_LOCAL = 0x00001000  # macOS statfs f_flags: the file system is on this machine


@dataclass(frozen=True)
class RemoteMount:
    """A folder's network file system: ``kind`` its type ("nfs4", "cifs", "smbfs", or
    "network share" on Windows); ``local_locks`` when its locks do not reach the server."""

    kind: str
    local_locks: bool = False


def remote_file_system(folder: Path) -> RemoteMount | None:
    """The network file system ``folder`` is on, or None for a local one (and whenever
    that cannot be told)."""
    try:
        if sys.platform == "win32":
            return windows_remote(os.path.abspath(folder), _drive_type)
        if sys.platform == "darwin":
            return macos_remote(os.path.realpath(folder))
        return linux_remote(os.path.realpath(folder), _read_mount_table())
    except Exception:  # noqa: BLE001 - detection must never stop a project from opening
        return None


# ---- Linux ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mount:
    """One line of the mount table."""

    point: str
    kind: str
    options: frozenset[str]


_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """The kernel writes space, tab, newline and backslash in paths as ``\\040`` etc."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    """The mounts of /proc/self/mountinfo text, in its order (a later mount on the same
    point hides an earlier one). Options are the per-mount and the super block ones."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 6 or len(tail) < 2:
            continue
        options = fields[5].split(",") + (tail[2].split(",") if len(tail) > 2 else [])
        mounts.append(Mount(_unescape(fields[4]), tail[0], frozenset(options)))
    return mounts


def parse_mounts(text: str) -> list[Mount]:
    """The mounts of /proc/mounts text (``source point type options 0 0``)."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            mounts.append(Mount(_unescape(fields[1]), fields[2], frozenset(fields[3].split(","))))
    return mounts


def _read_mount_table() -> list[Mount]:
    """This process's mounts; none when /proc is not there (then all is local)."""
    for path, parse in ((MOUNTINFO, parse_mountinfo), (MOUNTS, parse_mounts)):
        with contextlib.suppress(OSError):
            return parse(path.read_text(encoding="utf-8", errors="surrogateescape"))
    return []


def mount_of(path: str, mounts: list[Mount]) -> Mount | None:
    """The mount holding ``path`` (absolute, links resolved): the longest mount point that
    is ``path`` or a folder above it; of equal ones the last (it hides the others)."""
    best: Mount | None = None
    for mount in mounts:
        point = mount.point.rstrip("/") or "/"
        inside = path == point or path.startswith(point if point == "/" else point + "/")
        if inside and (best is None or len(point) >= len(best.point.rstrip("/") or "/")):
            best = mount
    return best


def linux_remote(path: str, mounts: list[Mount]) -> RemoteMount | None:
    """The remote file system holding ``path`` by the mount table ``mounts``, or None."""
    mount = mount_of(path, mounts)
    if mount is None or mount.kind not in REMOTE_TYPES:
        return None
    return RemoteMount(mount.kind, local_locks(mount))


def local_locks(mount: Mount) -> bool:
    """Whether ``mount``'s file locks stay on this machine (LOCAL_LOCK_OPTIONS), or may
    (a cluster file system without the option that makes them cluster-wide)."""
    if mount.options & LOCAL_LOCK_OPTIONS:
        return True
    needed = CLUSTER_LOCK_OPTION.get(mount.kind)
    return needed is not None and needed not in mount.options


# ---- macOS ----------------------------------------------------------------------------


class _StatFs(ctypes.Structure):
    """struct statfs with 64-bit inodes (macOS 10.6 on; the only one on arm64)."""

    _fields_ = [  # noqa: RUF012 - ctypes reads this class attribute
        ("f_bsize", ctypes.c_uint32),
        ("f_iosize", ctypes.c_int32),
        ("f_blocks", ctypes.c_uint64),
        ("f_bfree", ctypes.c_uint64),
        ("f_bavail", ctypes.c_uint64),
        ("f_files", ctypes.c_uint64),
        ("f_ffree", ctypes.c_uint64),
        ("f_fsid", ctypes.c_int32 * 2),
        ("f_owner", ctypes.c_uint32),
        ("f_type", ctypes.c_uint32),
        ("f_flags", ctypes.c_uint32),
        ("f_fssubtype", ctypes.c_uint32),
        ("f_fstypename", ctypes.c_char * 16),
        ("f_mntonname", ctypes.c_char * 1024),
        ("f_mntfromname", ctypes.c_char * 1024),
        ("f_flags_ext", ctypes.c_uint32),
        ("f_reserved", ctypes.c_uint32 * 7),
    ]


def _macos_statfs() -> Callable[[bytes, ctypes._Pointer[_StatFs]], int]:
    """libc's statfs with 64-bit inodes (``statfs$INODE64`` on Intel, ``statfs`` on arm)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for name in ("statfs$INODE64", "statfs"):
        with contextlib.suppress(AttributeError):
            return getattr(libc, name)
    raise OSError("no statfs in libc")


def macos_remote(path: str, statfs: Callable[..., int] | None = None) -> RemoteMount | None:
    """The remote file system holding ``path`` by statfs: not MNT_LOCAL, or a type in
    REMOTE_TYPES (smbfs, nfs, afpfs, webdav)."""
    result = _StatFs()
    if (statfs or _macos_statfs())(os.fsencode(path), ctypes.byref(result)) != 0:
        return None
    kind = result.f_fstypename.decode("utf-8", "replace")
    if kind in REMOTE_TYPES or not result.f_flags & MNT_LOCAL:
        return RemoteMount(kind or "network share")
    return None


# ---- Windows --------------------------------------------------------------------------


def _drive_type(root: str) -> int:
    """GetDriveTypeW of a drive root such as ``Z:\\``."""
    return int(ctypes.windll.kernel32.GetDriveTypeW(root))  # type: ignore[attr-defined]


def windows_remote(path: str, drive_type: Callable[[str], int]) -> RemoteMount | None:
    """A share (``\\\\server\\share``, ``\\\\?\\UNC\\...``) or a mapped network drive
    (``drive_type`` of its root is DRIVE_REMOTE) is remote; ``path`` as given, unresolved."""
    text = path.replace("/", "\\")
    if text.startswith("\\\\?\\UNC\\"):
        return RemoteMount("network share")
    if text.startswith(("\\\\?\\", "\\\\.\\")):
        text = text[4:]  # a long local path \\?\C:\... or a device path
    elif text.startswith("\\\\"):
        return RemoteMount("network share")
    if len(text) >= 2 and text[1] == ":" and drive_type(text[:2] + "\\") == DRIVE_REMOTE:
        return RemoteMount("network share")
    return None
