# Shared by the host-side VM scripts (setup, mkinitrd, run, check); sourced, not run.
# The cache (kernel package, extracted vmlinux and modules, base initramfs) lives in
# $VOLMGR_VM_CACHE, default $HOME/.cache/volmgr-vm, and is reused between runs.
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VM_TOP=$(cd "$VM_DIR/../.." && pwd)
VM_CACHE=${VOLMGR_VM_CACHE:-${HOME:-/root}/.cache/volmgr-vm}
VM_KENV=$VM_CACHE/kernel.env           # KVER, KPKG, VMLINUX, MODDIR of the kernel in use
VM_BASE=$VM_CACHE/initrd-base.cpio.gz  # lvm2/e2fsprogs/busybox/modules, built by mkinitrd
VM_GUEST_ROOT=$VM_CACHE/guest-root     # the guest packages below, unpacked (dpkg -x) by setup
VM_QEMU_IMG=$VM_CACHE/qemu.ext4        # qemu for the guest (`run --qemu`), built by mkqemu
export LC_ALL=C

# Host packages the harness needs. qemu-utils (qemu-io, qemu-img) and socat (QMP over
# a unix socket) go, with qemu-system-x86, into the guest's qemu image (mkqemu).
VM_HOST_PKGS="qemu-system-x86 qemu-utils socat busybox-static cpio xz-utils lvm2 e2fsprogs"

# Debian packages for the guest only: setup fetches them with `apt-get download` into
# $VM_CACHE/guest-deb and unpacks them into $VM_GUEST_ROOT; they are never installed on
# the host. udev: udevadm (udevadm test, for the udev rules); xfsprogs (mkfs.xfs,
# xfs_growfs, xfs_repair) with the libraries it needs that a host lacks.
VM_GUEST_DEBS="udev xfsprogs libinih1 liburcu8"

# Modules for the guest, in the order busybox insmod needs (it does not resolve
# dependencies): crc32c_generic before libcrc32c or dm-thin-pool fails to load.
VM_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
  virtio_mmio virtio_blk virtio-rng loop dm-mod dm-bufio dm-snapshot dm-zero dm-bio-prison
  crc32c_generic libcrc32c dm-persistent-data dm-thin-pool dm-log dm-region-hash
  dm-mirror dm-flakey dm-delay"
# Collected too but loaded only on demand inside the guest (`vm-modprobe ext4`).
VM_MODULES_EXTRA="crc16 mbcache jbd2 ext4"
# The same for XFS (`vm-modprobe xfs`; it needs libcrc32c, loaded at boot).
VM_MODULES_XFS="xfs"

vm_msg() { echo "${0##*/}: $*" >&2; }
vm_die() { vm_msg "$*"; exit 1; }

# vm_as_root CMD...: run CMD as root (directly, or through non-interactive sudo).
vm_as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
	else vm_die "need root for: $*"; fi
}

vm_pkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# vm_load_kernel_env: read kernel.env (written by setup) or fail.
vm_load_kernel_env() {
	[ -r "$VM_KENV" ] || return 1
	# shellcheck disable=SC1090
	. "$VM_KENV"
	[ -n "${KVER:-}" ] && [ -s "${VMLINUX:-}" ] && [ -d "${MODDIR:-}" ]
}

# vm_modules_ready: setup collected the modules of the lists above (after
# vm_load_kernel_env; a list that changed needs setup again).
vm_modules_ready() {
	# shellcheck disable=SC2086
	[ "$(cat "$MODDIR/.list" 2>/dev/null)" = "$(echo $VM_MODULES $VM_MODULES_EXTRA $VM_MODULES_XFS)" ]
}

# vm_guest_root_ready: the guest packages are unpacked (setup wrote their list).
vm_guest_root_ready() {
	[ -s "$VM_GUEST_ROOT/.debs" ] && [ "$(sed -n 1p "$VM_GUEST_ROOT/.debs")" = "$VM_GUEST_DEBS" ]
}

# vm_lock: hold the cache lock until this script exits (setup and mkinitrd run in
# parallel CI jobs sharing one cache must not build the same files at once).
vm_lock() {
	mkdir -p "$VM_CACHE" || vm_die "cannot create $VM_CACHE"
	exec 9>>"$VM_CACHE/.lock"
	flock 9 || vm_die "cannot lock $VM_CACHE/.lock"
}
