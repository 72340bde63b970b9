#!/usr/bin/env bash
# xencore-mkimage's command line, as a user meets it:
#   mkimage-cli-test.sh MKIMAGE GUEST_ELF HYPERVISOR_ELF
# Every bad input must end with status 2, a message naming the --domain and
# the key, and no output file; a good one must produce an image whose
# grub.cfg and manifest say what was asked.
set -u
mkimage=$1 guest=$2 hypervisor=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage-cli.XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# expect_refusal "MESSAGE PART" ARGS...
expect_refusal() {
  local want=$1; shift
  rm -f "$work/out.iso"
  "$mkimage" -o "$work/out.iso" --hypervisor "$hypervisor" "$@" > "$work/stdout" 2> "$work/stderr"
  local rc=$?
  if [ "$rc" != 2 ] || ! grep -qF -- "$want" "$work/stderr" || [ -e "$work/out.iso" ] ||
     ls "$work"/out.iso.partial-* > /dev/null 2>&1; then
    echo "FAIL: $*"
    echo "  want status 2, no image and: $want"
    echo "  got status $rc: $(cat "$work/stderr")"
    failures=$((failures + 1))
  else
    echo "ok: refused: $(cat "$work/stderr")"
  fi
}

printf 'not an elf\n' > "$work/text"
mkdir "$work/copy" && cp "$guest" "$work/copy/"
hello="name=a,kernel=$guest"

expect_refusal "--domain 1: 'kernel' is required" --domain "name=a"
expect_refusal "--domain 1: 'name' is required" --domain "kernel=$guest"
expect_refusal "--domain 2: 'memory' must be a multiple of 4 KiB, not '1030K'" \
  --domain "$hello" --domain "name=b,kernel=$guest,memory=1030K"
expect_refusal "--domain 1: 'memory' must be at least 1 MiB" --domain "$hello,memory=512K"
expect_refusal "--domain 1: 'memory' must be a number of MiB" --domain "$hello,memory=lots"
expect_refusal "--domain 1: 'vcpus' must be a number from 1 to 128, not '0'" --domain "$hello,vcpus=0"
expect_refusal "--domain 1: unknown key 'colour'" --domain "$hello,colour=red"
expect_refusal "--domain 1: 'kernel' '$work/missing' cannot be read" --domain "name=a,kernel=$work/missing"
expect_refusal "--domain 1: 'kernel' '$work/text' is not an ELF file" --domain "name=a,kernel=$work/text"
expect_refusal "has no Xen PHYS32_ENTRY note" --domain "name=a,kernel=$hypervisor"
expect_refusal "--domain 2: 'name' must be unique" --domain "$hello" --domain "$hello"
expect_refusal "--domain 1: 'name' must use only A-Z a-z 0-9 _ . -" --domain "name=a/b,kernel=$guest"
expect_refusal "'cmdline' has an opening double quote" --domain "$hello,cmdline=\"a,b"
expect_refusal "at least one --domain is required"
expect_refusal "unknown argument '--frobnicate'" --frobnicate --domain "$hello"
expect_refusal "--hypervisor '$work/text' is not an ELF file" --domain "$hello" --hypervisor "$work/text"

# A good image: two domains share one kernel, a third uses a copy with the
# same file name; the command line keeps its comma and blanks.
if "$mkimage" -o "$work/good.iso" --hypervisor "$hypervisor" --boot-options "poweroff x=1" \
    --domain "name=a,kernel=$guest,memory=64M,vcpus=2,cmdline=\"console=hvc0 a,b\"" \
    --domain "name=b,kernel=$guest" --domain "name=c,kernel=$work/copy/$(basename "$guest")" 2> "$work/stderr"; then
  mkdir "$work/tree"
  if ! xorriso -osirrox on -indev "$work/good.iso" -extract /boot "$work/tree" > /dev/null 2>&1; then
    echo "FAIL: cannot read back the image (xorriso)"; failures=$((failures + 1))
  else
    base=$(basename "$guest")
    stem=${base%.*} ext=${base##*.}
    second="$stem-2.$ext"
    cfg="$work/tree/grub/grub.cfg"
    for line in "set timeout=0" "set default=0" "multiboot2 /boot/xencore.elf poweroff x=1" \
                "module2 /boot/manifest xencore-manifest" "module2 /boot/$base $base" \
                "module2 /boot/$second $second"; do
      if grep -qF -- "$line" "$cfg"; then echo "ok: grub.cfg has '$line'"
      else echo "FAIL: grub.cfg lacks '$line'"; cat "$cfg"; failures=$((failures + 1)); fi
    done
    if [ "$(grep -c module2 "$cfg")" != 3 ]; then
      echo "FAIL: grub.cfg should load 3 modules"; failures=$((failures + 1))
    fi
    m="$work/tree/manifest"
    if [ "$(stat -c %s "$m")" = $((16 + 3 * 1184)) ] && [ "$(head -c 4 "$m")" = XCMF ] &&
       grep -qaF "console=hvc0 a,b" "$m" && grep -qaF "$second" "$m"; then
      echo "ok: manifest of 3 records"
    else
      echo "FAIL: manifest"; xxd "$m" | head; failures=$((failures + 1))
    fi
    if cmp -s "$guest" "$work/tree/$base"; then echo "ok: kernel copied"
    else echo "FAIL: kernel not copied intact"; failures=$((failures + 1)); fi
  fi
else
  echo "FAIL: a good image was refused: $(cat "$work/stderr")"; failures=$((failures + 1))
fi

# grub-mkrescue missing: a clear message, status 1, no image.
rm -f "$work/out.iso"
PATH=/nonexistent "$mkimage" -o "$work/out.iso" --hypervisor "$hypervisor" --domain "$hello" \
  2> "$work/stderr"
rc=$?
if [ "$rc" = 1 ] && grep -qF "grub-mkrescue is not in PATH" "$work/stderr" && [ ! -e "$work/out.iso" ]; then
  echo "ok: $(cat "$work/stderr")"
else
  echo "FAIL: without grub-mkrescue: status $rc: $(cat "$work/stderr")"; failures=$((failures + 1))
fi

# --help
if "$mkimage" --help | grep -qF -- "--domain SPEC"; then echo "ok: --help"
else echo "FAIL: --help"; failures=$((failures + 1)); fi

echo "mkimage-cli-test: $failures failure(s)"
[ "$failures" = 0 ]
