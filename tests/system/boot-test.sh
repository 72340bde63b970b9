#!/usr/bin/env bash
# Boots an image in QEMU or Bochs and judges it by what the serial console says.
#
#   boot-test.sh --emulator qemu|bochs --iso ISO --log LOG [--cpus N] [--model M]
#                [--timeout SECONDS] [--expect REGEX]... [--reject REGEX]...
#                [--qemu-arg ARG]... [--bochs-line LINE]... [--ips N]
#                [--check COMMAND]...
#
# Passes when every --expect pattern (extended regex, one line each) appears
# in the console log, no --reject pattern does, and every --check command
# (a shell command line; the log's path is appended as its last argument)
# exits with status 0 once the run is over. A check judges what a pattern
# cannot, such as numbers across lines (tests/system/check-shares.sh).
# The emulator is stopped as soon as the outcome is known (all expected lines seen and the machine off
# or quiet for a moment, or a rejected line seen), or at the timeout. On
# failure the whole console log is printed, and Bochs' own log's tail.
# --ips sets Bochs' emulated instructions per second (ips= on its cpu: line),
# which is how fast guest time runs per instruction with `clock: sync=none`.
set -u

emulator="" iso="" log="" cpus=1 model="" timeout_s=120 ips=""
expects=() rejects=() qemu_args=() bochs_lines=() checks=()
while [ $# -gt 0 ]; do
  case "$1" in
    --emulator) emulator=$2; shift 2 ;;
    --iso) iso=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --cpus) cpus=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    --qemu-arg) qemu_args+=("$2"); shift 2 ;;
    --bochs-line) bochs_lines+=("$2"); shift 2 ;;
    --ips) ips=$2; shift 2 ;;
    --check) checks+=("$2"); shift 2 ;;
    *) echo "boot-test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ -z "$emulator" ] || [ -z "$iso" ] || [ -z "$log" ]; then
  echo "boot-test.sh: --emulator, --iso and --log are required" >&2; exit 2
fi
if [ ! -f "$iso" ]; then
  echo "boot-test.sh: no image '$iso' (was it built?)" >&2; exit 2
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/xencore-boot.XXXXXX")
trap 'rm -rf "$workdir"' EXIT
rm -f "$log"; : > "$log"

case "$emulator" in
  qemu)
    cmd=(qemu-system-x86_64 -accel tcg -cpu "${model:-max}" -smp "$cpus" -m 256 -boot d
         -cdrom "$iso" -nic none -display none -monitor none -serial "file:$log" -no-reboot
         "${qemu_args[@]}")
    ;;
  bochs)
    # Bochs writes the serial file itself; it must not exist as another file.
    cat > "$workdir/bochsrc" <<CONF
display_library: rfb, options="timeout=0"
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: model=${model:-corei7_skylake_x}, count=$cpus${ips:+, ips=$ips}, reset_on_triple_fault=0
memory: guest=256, host=256
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
clock: sync=none
com1: enabled=1, mode=file, dev=$log
port_e9_hack: enabled=1
speaker: enabled=0
sound: driver=dummy
log: $workdir/bochs.log
panic: action=fatal
CONF
    for line in "${bochs_lines[@]}"; do echo "$line" >> "$workdir/bochsrc"; done
    echo c > "$workdir/rc"
    cmd=(bochs-bin -q -f "$workdir/bochsrc" -rc "$workdir/rc")
    ;;
  *) echo "boot-test.sh: emulator must be qemu or bochs" >&2; exit 2 ;;
esac

all_expected_seen() {
  local p
  for p in "${expects[@]}"; do grep -Eq -- "$p" "$log" || return 1; done
  return 0
}
any_rejected_seen() {
  local p
  for p in "${rejects[@]}"; do grep -Eq -- "$p" "$log" && return 0; done
  return 1
}

start=$(date +%s)
timeout --kill-after=5 "$timeout_s" "${cmd[@]}" < /dev/null > "$workdir/emulator.out" 2>&1 &
pid=$!
outcome="timeout"
seen_at=""
while kill -0 "$pid" 2> /dev/null; do
  if any_rejected_seen; then outcome="rejected"; break; fi
  if all_expected_seen; then
    # Give the machine a moment to power off by itself, then stop it.
    [ -z "$seen_at" ] && seen_at=$(date +%s)
    if [ $(( $(date +%s) - seen_at )) -ge 3 ]; then outcome="seen"; break; fi
  fi
  sleep 0.2
done
if kill -0 "$pid" 2> /dev/null; then
  kill "$pid" 2> /dev/null; sleep 0.5; pkill -P "$pid" 2> /dev/null
  wait "$pid" 2> /dev/null
else
  wait "$pid"; rc=$?
  [ "$rc" = 124 ] && outcome="timeout" || outcome="exited"
fi
elapsed=$(( $(date +%s) - start ))

fail=""
for p in "${expects[@]}"; do
  grep -Eq -- "$p" "$log" || fail+="  missing: $p"$'\n'
done
for p in "${rejects[@]}"; do
  grep -Eq -- "$p" "$log" && fail+="  unexpected: $p"$'\n'
done
[ "$outcome" = timeout ] && fail+="  the run hit the ${timeout_s}s timeout"$'\n'
for c in "${checks[@]}"; do
  if ! check_out=$(bash -c "$c \"\$1\"" check "$log" 2>&1); then
    fail+="  check failed: $c"$'\n'"$(printf '%s\n' "$check_out" | sed 's/^/    /')"$'\n'
  elif [ -n "$check_out" ]; then
    printf '%s\n' "$check_out"
  fi
done

echo "boot-test: $emulator ${model:-default} cpus=$cpus: $outcome after ${elapsed}s"
if [ -n "$fail" ]; then
  echo "boot-test: FAILED"
  printf '%s' "$fail"
  echo "---- console log ($log) ----"
  cat "$log"
  echo "---- end of console log ----"
  if [ -s "$workdir/emulator.out" ]; then echo "---- emulator output ----"; tail -n 30 "$workdir/emulator.out"; fi
  if [ -f "$workdir/bochs.log" ]; then echo "---- bochs log (tail) ----"; tail -n 30 "$workdir/bochs.log"; fi
  exit 1
fi
echo "boot-test: passed"
grep -E 'xencore: ready' "$log" || true
exit 0
