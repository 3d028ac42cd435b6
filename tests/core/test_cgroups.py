"""CPU quotas and memory limits of the process's own control group and the groups above
it, cgroup v2 and v1, read from fake /proc and /sys trees (hospital IT audit: only the
CPU affinity and the root group's memory.max were read)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ssl_studio.core import cores, memory
from ssl_studio.core.cgroups import cpu_quota_cores, memory_headroom

GiB = 1 << 30
V2_MOUNTS = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
V1_MOUNTS = (
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
)
SLICE = "user.slice/user-1000.slice/session-3.scope"


def _tree(root: Path, cgroup: str, mountinfo: str | None, files: dict[str, str]) -> Path:
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(cgroup)
    if mountinfo is not None:
        (root / "proc/self/mountinfo").write_text(mountinfo)
    for name, text in files.items():
        path = root / "sys/fs/cgroup" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return root


def _v2(tmp_path: Path, files: dict[str, str], mountinfo: str | None = V2_MOUNTS) -> Path:
    (tmp_path / "sys/fs/cgroup").mkdir(parents=True)
    return _tree(tmp_path, f"0::/{SLICE}\n", mountinfo, files)


def test_v2_quota_of_the_process_group_or_above_rounded_up(tmp_path):
    root = _v2(
        tmp_path,
        {
            f"{SLICE}/cpu.max": "max 100000",
            "user.slice/user-1000.slice/cpu.max": "150000 100000",  # CPUQuota=150%
            "user.slice/cpu.max": "400000 100000",
        },
    )
    assert cpu_quota_cores(root) == 2


def test_v2_no_quota_anywhere(tmp_path):
    root = _v2(tmp_path, {f"{SLICE}/cpu.max": "max 100000", "cpu.max": "max 100000"})
    assert cpu_quota_cores(root) is None


def test_v2_memory_takes_the_tightest_level(tmp_path):
    root = _v2(
        tmp_path,
        {
            f"{SLICE}/memory.max": "max",
            f"{SLICE}/memory.current": str(1 * GiB),
            "user.slice/user-1000.slice/memory.max": str(4 * GiB),  # a user's MemoryMax
            "user.slice/user-1000.slice/memory.current": str(3 * GiB),
            "memory.max": str(64 * GiB),
            "memory.current": str(2 * GiB),
        },
    )
    assert memory_headroom(root) == 1 * GiB


def test_v2_container_sees_its_group_as_the_top(tmp_path):
    """docker with a private cgroup namespace: "0::/", the limits on the mount's top."""
    (tmp_path / "sys/fs/cgroup").mkdir(parents=True)
    root = _tree(
        tmp_path,
        "0::/\n",
        V2_MOUNTS,
        {"cpu.max": "250000 100000", "memory.max": str(2 * GiB), "memory.current": "0"},
    )
    assert cpu_quota_cores(root) == 3
    assert memory_headroom(root) == 2 * GiB


def test_v2_without_mountinfo_the_usual_place(tmp_path):
    root = _v2(tmp_path, {"user.slice/cpu.max": "50000 100000"}, mountinfo=None)
    assert cpu_quota_cores(root) == 1


def test_v1_quota_and_memory(tmp_path):
    (tmp_path / "sys/fs/cgroup/cpu,cpuacct").mkdir(parents=True)
    (tmp_path / "sys/fs/cgroup/memory").mkdir(parents=True)
    root = _tree(
        tmp_path,
        "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n",
        V1_MOUNTS,
        {
            "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000",
            "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000",
            "cpu,cpuacct/cpu.cfs_quota_us": "-1",
            "cpu,cpuacct/cpu.cfs_period_us": "100000",
            "memory/docker/abc/memory.limit_in_bytes": str(3 * GiB),
            "memory/docker/abc/memory.usage_in_bytes": str(1 * GiB),
            "memory/memory.limit_in_bytes": "9223372036854771712",  # (no limit)
            "memory/memory.usage_in_bytes": str(20 * GiB),
        },
    )
    assert cpu_quota_cores(root) == 2
    assert memory_headroom(root) == 2 * GiB


def test_missing_damaged_or_unreadable_files_set_no_limit(tmp_path):
    root = _v2(
        tmp_path,
        {f"{SLICE}/cpu.max": "lots", "cpu.max": "", f"{SLICE}/memory.max": "12abc"},
    )
    (root / f"sys/fs/cgroup/{SLICE}/memory.current").mkdir()  # (unreadable: a folder)
    assert cpu_quota_cores(root) is None
    assert memory_headroom(root) is None
    assert cpu_quota_cores(tmp_path / "nothing") is None  # macOS, Windows
    assert memory_headroom(tmp_path / "nothing") is None


def test_usable_cores_take_the_quota(tmp_path, monkeypatch):
    """systemd CPUQuota=100% on a 64-core machine: one decoding process, one thread."""
    root = _v2(tmp_path, {"user.slice/cpu.max": "100000 100000"})
    monkeypatch.setattr(cores, "SYSTEM_ROOT", root, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert cores.usable_cores() == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {5}, raising=False)
    monkeypatch.setattr(cores, "cpu_quota_cores", lambda root: 8)
    assert cores.usable_cores() == 1  # (the affinity is tighter)


def test_free_memory_takes_a_user_slices_limit(tmp_path, monkeypatch):
    """A per-user slice's MemoryMax (not the root group's memory.max, which was all that
    was read)."""
    root = _v2(
        tmp_path,
        {
            "user.slice/memory.max": str(2 * GiB),
            "user.slice/memory.current": str(GiB // 2),
        },
    )
    (root / "proc/meminfo").write_text("MemTotal: 67108864 kB\nMemAvailable: 60000000 kB\n")
    monkeypatch.setattr(memory, "SYSTEM_ROOT", root, raising=False)
    assert memory.free_memory() == GiB * 3 // 2
    (root / "sys/fs/cgroup/user.slice/memory.max").write_text("max\n")
    assert memory.free_memory() == 60000000 * 1024  # no limit: MemAvailable


def test_inactive_file_cache_is_not_counted_as_used(tmp_path):
    """memory.current and usage_in_bytes include page cache the kernel reclaims first:
    after reading a large dataset the headroom looked like nothing (imports refused)."""
    root = _v2(
        tmp_path,
        {
            "user.slice/memory.max": str(4 * GiB),
            "user.slice/memory.current": str(4 * GiB),
            "user.slice/memory.stat": f"anon {GiB}\nfile {3 * GiB}\ninactive_file {2 * GiB}",
        },
    )
    assert memory_headroom(root) == 2 * GiB
    v1 = _tree(
        tmp_path / "v1",
        "12:memory:/docker/abc\n",
        V1_MOUNTS,
        {
            "memory/docker/abc/memory.limit_in_bytes": str(3 * GiB),
            "memory/docker/abc/memory.usage_in_bytes": str(3 * GiB),
            "memory/docker/abc/memory.stat": (
                f"inactive_file {GiB // 2}\ntotal_inactive_file {GiB}"  # (hierarchical)
            ),
        },
    )
    assert memory_headroom(v1) == 1 * GiB


def test_a_mount_of_another_groups_subtree_is_not_ours(tmp_path):
    """A second cgroup2 mount of /system.slice/other.scope imposed that group's limits."""
    other = "42 30 0:26 /system.slice/other.scope /mnt/other rw - cgroup2 cgroup2 rw\n"
    root = _v2(tmp_path, {"user.slice/cpu.max": "400000 100000"}, V2_MOUNTS + other)
    (root / "mnt/other").mkdir(parents=True)
    (root / "mnt/other/cpu.max").write_text("100000 100000\n")
    (root / "mnt/other/memory.max").write_text(f"{GiB}\n")
    assert cpu_quota_cores(root) == 4
    assert memory_headroom(root) is None


def test_escaped_mount_points(tmp_path):
    """mountinfo writes a space in a mount point as \\040."""
    mounts = "30 23 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw\n"
    root = _tree(tmp_path, f"0::/{SLICE}\n", mounts, {})
    (root / "sys/fs/my cgroup/user.slice").mkdir(parents=True)
    (root / "sys/fs/my cgroup/user.slice/cpu.max").write_text("300000 100000\n")
    assert cpu_quota_cores(root) == 3


QUOTA_OF_ONE = (
    "import os, sys\n"
    "os.sched_getaffinity = lambda pid: {0, 1, 2, 3}\n"
    "from ssl_studio.core import cores\n"
    "cores.cpu_quota_cores = lambda root: 1\n"
    "from ssl_studio.cli import main\n"
    "code = main(['info', sys.argv[1]])\n"
    "import torch\n"
    "print('threads', torch.get_num_threads(), os.environ.get('OMP_NUM_THREADS'))\n"
)


def test_the_command_line_runs_as_many_threads_as_the_quota_allows(tmp_path):
    """torch started a thread per core of the affinity under a one-CPU quota, as the app's
    jobs (default_cpu_threads: usable_cores) do not; OMP_NUM_THREADS set by hand or by
    torchrun is kept."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    command = [sys.executable, "-c", QUOTA_OF_ONE, str(tmp_path / "no-project")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert "threads 1 1\n" in done.stdout, done.stderr
    env["OMP_NUM_THREADS"] = "2"
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert "threads 2 2\n" in done.stdout, done.stderr
