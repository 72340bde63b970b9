#!/usr/bin/env bash
# Installs the Debian 12 packages a make target needs, and says which.
#   install-deps.sh run|check|docs
# As root, missing packages are installed with apt-get; otherwise the script
# names them and fails, so nothing half-works.
set -eu

build=(gcc make cmake pkg-config grub-pc-bin grub-common xorriso mtools)
case "${1:-check}" in
  run) wanted=("${build[@]}" libcmocka-dev qemu-system-x86) ;; # the one configure includes the tests
  check) wanted=("${build[@]}" libcmocka-dev qemu-system-x86 bochs bochsbios vgabios doxygen) ;;
  docs) wanted=(cmake doxygen) ;;
  *) echo "install-deps.sh: unknown target '$1' (run, check or docs)" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" > /tmp/xencore-apt.log 2>&1 || {
  cat /tmp/xencore-apt.log >&2
  echo "apt-get failed installing: ${missing[*]}" >&2
  exit 1
}
echo "Installed: ${missing[*]}"
