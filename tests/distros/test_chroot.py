"""stack.distros' one way of deleting a chroot (make test-distros runs it
before the chroots): whatever is mounted in it is unmounted and checked
first, so a host folder mounted there survives, and nothing outside
build/distros/ is ever deleted. Needs root (mount), as make test-distros."""

import subprocess

import pytest

from stack import distros


@pytest.fixture
def chroot_root():
    root = distros.BUILD / "test-remove"
    distros.fresh_root(root)
    yield root
    distros.remove(root)


def test_a_host_folder_mounted_in_a_chroot_survives_its_removal(chroot_root, tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    (host / "sentinel").write_text("the host's")
    (chroot_root / "dev").mkdir()
    subprocess.run(["mount", "--bind", str(host), str(chroot_root / "dev")], check=True)
    distros.mount(chroot_root)
    assert len(distros.mounts_under(chroot_root)) == 5  # tmpfs, the bind, proc, pts, shm

    distros.remove(chroot_root)

    assert (host / "sentinel").read_text() == "the host's"
    assert not chroot_root.exists()
    assert distros.mounts_under(chroot_root) == []


def test_nothing_outside_build_distros_is_removed(tmp_path):
    (tmp_path / "kept").write_text("x")
    with pytest.raises(distros.ChrootError, match="not under"):
        distros.remove(tmp_path)
    assert (tmp_path / "kept").exists()
