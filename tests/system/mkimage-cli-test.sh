#!/usr/bin/env bash
# xencore-mkimage's command line, as a user meets it:
#   mkimage-cli-test.sh MKIMAGE GUEST_ELF HYPERVISOR_ELF
# Every bad input must end with status 2, a message naming the --domain (or
# --pool, or --boot-options) and the key, and no output file; a good one must
# produce an image whose grub.cfg and manifest say what was asked.
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

# Scheduling keys, pools and the scheduler option.
expect_refusal "--domain 1: 'weight' must be a number from 1 to 65535, not '0'" --domain "$hello,weight=0"
expect_refusal "--domain 1: 'cap' must be at most 100 x vcpus = 100" --domain "$hello,cap=150"
expect_refusal "--domain 1: cpus: '7-3' is an empty range" --domain "$hello,cpus=7-3"
expect_refusal "--domain 1: cpus_soft: '^1' selects no CPU" --domain "$hello,cpus_soft=^1"
expect_refusal "--domain 1: cpus: '4096' names CPU 4096, but the hypervisor has at most" \
  --domain "$hello,cpus=4096"
expect_refusal "--domain 1: '^2' is not KEY=VALUE" --domain "$hello,cpus=0-3,^2"
expect_refusal "--domain 1: 'pool' 'rt' is not described by any --pool" --domain "$hello,pool=rt"
expect_refusal "--pool 1: 'sched' must be credit, credit2 or null, not 'rtds'" \
  --pool name=rt,sched=rtds,cpus=1 --domain "$hello"
expect_refusal "--pool 1: 'cpus' is required" --pool name=rt,sched=credit --domain "$hello"
expect_refusal "--pool 1: 'name' must not be Pool-0" --pool name=Pool-0,cpus=1 --domain "$hello"
expect_refusal "--pool 2: pool 'b': 'cpus' CPU 3 is already in pool 'a'" \
  --pool name=a,cpus=2-3 --pool name=b,cpus=3-4 --domain "$hello"
expect_refusal "--pool 2: pool: 'name' must be unique" --pool name=a,cpus=1 --pool name=a,cpus=2 \
  --domain "$hello"
expect_refusal "--pool 1: unknown key 'weight'" --pool name=a,cpus=1,weight=2 --domain "$hello"
expect_refusal "--boot-options: 'sched=rtds': the scheduler must be credit, credit2 or null" \
  --boot-options "poweroff sched=rtds" --domain "$hello"

# u32 at a byte offset of a file, in decimal.
u32_at() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }

# A good image: two domains share one kernel, a third uses a copy with the
# same file name; the command line keeps its comma and blanks. Domain a runs
# in pool rt with a weight, a cap and affinities; the boot options pick the
# credit scheduler for Pool-0.
if "$mkimage" -o "$work/good.iso" --hypervisor "$hypervisor" --boot-options "poweroff x=1 sched=credit" \
    --pool "name=rt,sched=credit2,cpus=\"2-3,5\"" \
    --domain "name=a,kernel=$guest,memory=64M,vcpus=2,cmdline=\"console=hvc0 a,b\",pool=rt,weight=512,cap=150,cpus=\"0-3,^1\",cpus_soft=2" \
    --domain "name=b,kernel=$guest" --domain "name=c,kernel=$work/copy/$(basename "$guest")" 2> "$work/stderr"; then
  mkdir "$work/tree"
  if ! xorriso -osirrox on -indev "$work/good.iso" -extract /boot "$work/tree" > /dev/null 2>&1; then
    echo "FAIL: cannot read back the image (xorriso)"; failures=$((failures + 1))
  else
    base=$(basename "$guest")
    stem=${base%.*} ext=${base##*.}
    second="$stem-2.$ext"
    cfg="$work/tree/grub/grub.cfg"
    for line in "set timeout=0" "set default=0" "multiboot2 /boot/xencore.elf poweroff x=1 sched=credit" \
                "module2 /boot/manifest xencore-manifest" "module2 /boot/$base $base" \
                "module2 /boot/$second $second"; do
      if grep -qF -- "$line" "$cfg"; then echo "ok: grub.cfg has '$line'"
      else echo "FAIL: grub.cfg lacks '$line'"; cat "$cfg"; failures=$((failures + 1)); fi
    done
    if [ "$(grep -c module2 "$cfg")" != 3 ]; then
      echo "FAIL: grub.cfg should load 3 modules"; failures=$((failures + 1))
    fi
    m="$work/tree/manifest"
    # Version 2: 24-byte header, 3 domain records of 2280 bytes, 1 pool of 584.
    if [ "$(stat -c %s "$m")" = $((24 + 3 * 2280 + 584)) ] && [ "$(head -c 4 "$m")" = XCMF ] &&
       grep -qaF "console=hvc0 a,b" "$m" && grep -qaF "$second" "$m"; then
      echo "ok: manifest of 3 records and 1 pool"
    else
      echo "FAIL: manifest"; xxd "$m" | head; failures=$((failures + 1))
    fi
    # Header: version 2, 1 pool. Domain a (record at 24): weight, cap, pool
    # name, hard affinity 0,2,3 (0x0d), soft affinity 2 (0x04). The pool
    # record (at 24 + 3 x 2280): "rt", credit2 (6), CPUs 2,3,5 (0x2c).
    a=24 pool=$((24 + 3 * 2280))
    got="$(od -An -t u2 -j 4 -N 2 "$m" | tr -d ' ') $(u32_at "$m" 16)"
    got="$got $(u32_at "$m" $((a + 1184))) $(u32_at "$m" $((a + 1188)))"
    got="$got $(dd if="$m" bs=1 skip=$((a + 1192)) count=2 2> /dev/null)"
    got="$got $(od -An -t x1 -j $((a + 1256)) -N 1 "$m" | tr -d ' ')"
    got="$got $(od -An -t x1 -j $((a + 1768)) -N 1 "$m" | tr -d ' ')"
    got="$got $(dd if="$m" bs=1 skip=$pool count=2 2> /dev/null) $(u32_at "$m" $((pool + 64)))"
    got="$got $(od -An -t x1 -j $((pool + 72)) -N 1 "$m" | tr -d ' ')"
    want="2 1 512 150 rt 0d 04 rt 6 2c"
    if [ "$got" = "$want" ]; then echo "ok: manifest scheduling fields: $got"
    else echo "FAIL: manifest scheduling fields: got '$got', want '$want'"; failures=$((failures + 1)); fi
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
for key in "--domain SPEC" "--pool SPEC" "sched=credit|credit2|null" "weight=N" "cap=PERCENT" \
           "pool=NAME" "cpus=LIST" "cpus_soft=LIST" "sched=SCHED"; do
  if "$mkimage" --help | grep -qF -- "$key"; then echo "ok: --help documents $key"
  else echo "FAIL: --help lacks $key"; failures=$((failures + 1)); fi
done

echo "mkimage-cli-test: $failures failure(s)"
[ "$failures" = 0 ]
