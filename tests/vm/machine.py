"""One KVM virtual machine booted from the cached image with a NoCloud seed, shaped like a Hetzner server.

- Root disk: a copy-on-write overlay of the image (the cached image is never written).
- NoCloud seed (ISO labelled `cidata`): the user-data exactly as given, meta-data with the instance id
  and host name, and the network config Hetzner's metadata service would give (DHCP on both NICs).
- Two NICs, each on its own QEMU user-mode network with `restrict=on`, so no packet of the guest leaves
  QEMU except through the forwards listed here:
  * public-like (198.51.100.0/24, a documentation range): `guestfwd` rules connect an address:port the
    guest dials to a service the test runs on the host's loopback, through `socat`;
  * private (the stack's private network, the guest getting the program's private address by DHCP as on
    Hetzner): `hostfwd` rules let the test reach the guest's ports from the host's loopback.
- A data volume on virtio-scsi with vendor `HC`, product `Volume` and the volume id as serial, so udev
  names it `/dev/disk/by-id/scsi-0HC_Volume_<id>` as on Hetzner.
- The test environment (apt mirror, names, CA of the loopback services) as a fw_cfg blob the image's
  vmtest-environment unit applies before cloud-init (scripts/vm-image/).
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .guest_agent import Completed, GuestAgent
from .image import VmImage
from .services import die_with_parent

PUBLIC_NETWORK = ipaddress.ip_network("198.51.100.0/24")
PUBLIC_MAC = "52:54:00:12:34:01"
PRIVATE_MAC = "52:54:00:12:34:02"


@dataclass(frozen=True)
class GuestService:
    """A host loopback service the guest reaches at `guest_ip:guest_port` (public-like network)."""

    guest_ip: str
    guest_port: int
    host_port: int


@dataclass(frozen=True)
class Volume:
    """A Hetzner-like volume: its id (the by-id name) and the qcow2 file behind it."""

    volume_id: int
    path: Path

    @classmethod
    def create(cls, volume_id: int, path: Path, size: str = "2G") -> Volume:
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
        return cls(volume_id, path)


@dataclass
class MachineSpec:
    name: str
    user_data: str
    private_ip: str
    private_network: str
    environment: bytes
    """A tar archive the guest unpacks into / before cloud-init (see environment.py)."""
    guest_services: list[GuestService] = field(default_factory=list)
    host_forwards: dict[int, int] = field(default_factory=dict)
    """guest port on the private address -> host loopback port."""
    volume: Volume | None = None
    memory_mb: int = 1536


def accelerator() -> str:
    """QEMU's accelerator: KVM, required (a clear failure, not a skip, without /dev/kvm).

    One exception: a machine whose KVM is PVM (the kvm_pvm module, KVM for machines without VT-x/AMD-V,
    itself a cloud VM) runs only guest kernels built for PVM; Debian's kernel hangs there right after
    the real-mode setup. There the VMs run under QEMU's TCG (multi-threaded emulation), slower but the
    same machine, disks and networks.
    """
    require_kvm()
    hardware = any(Path(f"/sys/module/{m}").exists() for m in ("kvm_intel", "kvm_amd"))
    if not hardware and Path("/sys/module/kvm_pvm").exists():
        return "tcg"
    return "kvm"


def require_kvm() -> None:
    if not os.path.exists("/dev/kvm"):
        raise RuntimeError(
            "/dev/kvm is missing: the VM tests need KVM (enable virtualisation, load the kvm_intel or "
            "kvm_amd module, or on a cloud VM pick a type with nested virtualisation)"
        )
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        raise RuntimeError("/dev/kvm is not readable and writable by this user: add it to the kvm group")
    for tool in ("qemu-system-x86_64", "qemu-img", "genisoimage", "socat"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is missing: run scripts/install-debian-tools.sh")


def _network_config() -> str:
    """What Hetzner's metadata gives: DHCP on the public NIC; here DHCP on the private one too."""
    config = {
        "version": 1,
        "config": [
            {"type": "physical", "name": "eth0", "mac_address": PUBLIC_MAC, "subnets": [{"type": "dhcp"}]},
            {"type": "physical", "name": "enp7s0", "mac_address": PRIVATE_MAC, "subnets": [{"type": "dhcp"}]},
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


class Machine:
    """A running VM; `stop()` (or the context manager) ends it."""

    def __init__(self, image: VmImage, spec: MachineSpec, workdir: Path) -> None:
        require_kvm()
        self.image, self.spec, self.workdir = image, spec, workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.console = workdir / "console.log"
        self.agent = GuestAgent(workdir / "qga.sock")
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self._prepare()

    def _prepare(self) -> None:
        overlay = self.workdir / "root.qcow2"
        subprocess.run(
            ["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", self.image.root, overlay],
            check=True,
        )
        seed = self.workdir / "seed"
        seed.mkdir(exist_ok=True)
        (seed / "user-data").write_text(self.spec.user_data)
        (seed / "meta-data").write_text(
            yaml.safe_dump({"instance-id": f"{self.spec.name}-1", "local-hostname": self.spec.name})
        )
        (seed / "network-config").write_text(_network_config())
        subprocess.run(
            [
                "genisoimage",
                "-quiet",
                "-output",
                str(self.workdir / "seed.iso"),
                "-volid",
                "cidata",
                "-joliet",
                "-rock",
                *(str(seed / f) for f in ("user-data", "meta-data", "network-config")),
            ],
            check=True,
        )
        (self.workdir / "environment.tar").write_bytes(self.spec.environment)

    def _command(self) -> list[str]:
        spec, work = self.spec, self.workdir
        accel = accelerator()
        net = ipaddress.ip_network(spec.private_network)
        public = ",".join(
            [
                f"user,id=public,net={PUBLIC_NETWORK},host={PUBLIC_NETWORK[1]},dhcpstart={PUBLIC_NETWORK[10]}",
                "restrict=on",
                *(
                    f"guestfwd=tcp:{s.guest_ip}:{s.guest_port}-cmd:socat STDIO TCP:127.0.0.1:{s.host_port}"
                    for s in spec.guest_services
                ),
            ]
        )
        private = ",".join(
            [
                f"user,id=private,net={net},host={net[1]},dhcpstart={spec.private_ip}",
                "restrict=on",
                *(
                    f"hostfwd=tcp:127.0.0.1:{host}-{spec.private_ip}:{guest}"
                    for guest, host in spec.host_forwards.items()
                ),
            ]
        )
        command = [
            "qemu-system-x86_64",
            "-machine", f"q35,accel={accel}",
            # Under TCG a plain x86-64 CPU: glibc's SSE2 paths emulate faster than AVX2 ones.
            "-cpu", "host" if accel == "kvm" else "qemu64,-svm",
            "-smp", "2",
            "-m", str(spec.memory_mb),
            "-display", "none",
            "-monitor", "none",
            "-serial", f"file:{self.console}",
            "-kernel", str(self.image.kernel),
            "-initrd", str(self.image.initrd),
            "-append", "root=/dev/vda rw console=ttyS0,115200",
            "-drive", f"file={work / 'root.qcow2'},if=virtio,format=qcow2,cache=unsafe",
            "-drive", f"file={work / 'seed.iso'},if=virtio,format=raw,readonly=on",
            "-netdev", public,
            "-device", f"virtio-net-pci,netdev=public,mac={PUBLIC_MAC}",
            "-netdev", private,
            "-device", f"virtio-net-pci,netdev=private,mac={PRIVATE_MAC}",
            "-chardev", f"socket,path={self.agent.socket_path},server=on,wait=off,id=qga0",
            "-device", "virtio-serial",
            "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-fw_cfg", f"name=opt/vmtest/environment.tar,file={work / 'environment.tar'}",
        ]  # fmt: skip
        if spec.volume is not None:
            command += [
                "-device", "virtio-scsi-pci,id=scsi0",
                "-drive", f"file={spec.volume.path},if=none,id=volume,format=qcow2,cache=unsafe",
                "-device",
                f"scsi-hd,bus=scsi0.0,drive=volume,vendor=HC,product=Volume,serial={spec.volume.volume_id}",
            ]  # fmt: skip
        return command

    def start(self) -> Machine:
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            self._command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,  # noqa: PLW1509 (see die_with_parent)
        )
        return self

    def wait_for_agent(self, timeout: float = 1200) -> None:
        deadline = time.monotonic() + timeout
        while not self.agent.ping():
            self._check_running()
            if time.monotonic() > deadline:
                tail = self.console_tail()
                raise TimeoutError(f"{self.spec.name}: no guest agent after {timeout} s\n{tail}")
            time.sleep(1)

    def _check_running(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            output = self.process.stdout.read().decode() if self.process.stdout else ""
            raise RuntimeError(f"{self.spec.name}: QEMU exited {self.process.returncode}: {output}")

    def run(self, command: str, timeout: float = 600) -> Completed:
        return self.agent.run(command, timeout)

    def wait_for_cloud_init(self, timeout: float = 5400) -> Completed:
        """Blocks until cloud-init's final stage has ended (boot-finished is written even when a
        module failed); returns `cloud-init status --long`, whose return code says whether all passed."""
        self.wait_for_agent()
        deadline = time.monotonic() + timeout
        while self.run("test -e /var/lib/cloud/instance/boot-finished").returncode != 0:
            self._check_running()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.spec.name}: cloud-init not finished after {timeout} s")
            time.sleep(15)  # each look runs a process in the guest: cheap on KVM, not under TCG
        return self.run("cloud-init status --long")

    def reboot(self) -> None:
        """Reboot from inside the guest (QEMU keeps running with the same disks and forwards)."""
        boot_id = self.run("cat /proc/sys/kernel/random/boot_id").check().stdout
        self.run("systemctl reboot")
        deadline = time.monotonic() + 300
        while True:
            time.sleep(2)
            self._check_running()
            if self.agent.ping():
                current = self.run("cat /proc/sys/kernel/random/boot_id").stdout
                if current and current != boot_id:
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.spec.name}: did not come back from the reboot")

    def console_tail(self, lines: int = 60) -> str:
        if not self.console.exists():
            return ""
        return "\n".join(self.console.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> Machine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
