#!/usr/bin/env bash
# The emulator benchmarks.
#
# 1. Hot paths: boots the bench image (guest-bench.elf under xencore, 2 vCPUs)
#    on Bochs twice, VMX (corei7_skylake_x) and SVM (ryzen), one CPU,
#    ips=1e9 and clock sync=none, so the guest's RDTSC deltas count emulated
#    instructions. Reads the guest's "bench: <operation> <n>" lines and
#    prints them next to Xen 4.17's figures and the target (a fifth of
#    Xen's) where there is one.
#    With --vector-iso (vector-switch.iso: two vector_state guests pinned to
#    one CPU, yielding to each other) also the cost of a switch between
#    vCPUs of different domains, AVX-512 idle and in use, on skylake_x only.
# 2. Wake-up latency (with --latency-dir): boots latency-<sched>-<n>.iso
#    (credit and credit2; n = 0, 1, 2, 4 spinning vCPUs) in QEMU with
#    -smp 1 -icount shift=0,sleep=off -rtc clock=vm, so guest time is
#    instructions and runs repeat exactly. vCPU 0 wakes from its one-shot
#    timer every 1 ms (fixed) or 1-2 ms (jittered) and works 50 µs; the guest
#    prints p50/p99/max of deadline -> running. Prints both schedulers side
#    by side and checks credit2 against the issue's target (p99 <= 100 µs,
#    max <= 1 ms, spinners' shares within 2%).
# Builds nothing.
#
#   run-bench.sh --iso guest-bench.iso [--vector-iso vector-switch.iso] [--latency-dir DIR]
#                [--boot-test tests/system/boot-test.sh] [--log-dir DIR]
#                [--timeout SECONDS] [--only hotpath|latency]
#
# Exit status 0 when every run produced every figure (whether or not the
# targets are met: this measures, it does not judge), 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
iso="" vector_iso="" latency_dir="" boot_test="$here/../system/boot-test.sh" log_dir="" timeout_s=600 only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --iso) iso=$2; shift 2 ;;
    --vector-iso) vector_iso=$2; shift 2 ;;
    --latency-dir) latency_dir=$2; shift 2 ;;
    --boot-test) boot_test=$2; shift 2 ;;
    --log-dir) log_dir=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$only" != latency ] && { [ -z "$iso" ] || [ ! -f "$iso" ]; }; then
  echo "run-bench.sh: no bench image '${iso}': build it (cmake --build BUILD --target bench-iso)" >&2
  exit 2
fi
[ -n "$log_dir" ] || log_dir=$(dirname "${iso:-$latency_dir/x}")
mkdir -p "$log_dir"
status=0

# ---- 1. Hot paths on Bochs ------------------------------------------------------------
# The vector-switch rows: fills hotpath's result[] and label[] for vswitch-idle and
# vswitch-zmm (VMX only: no SVM rig has AVX-512), from domain vsa's lines.
vector_switch() {
  local log="$log_dir/vector-switch-corei7_skylake_x.log" n
  label[vswitch-idle]="switch, zmm idle" label[vswitch-zmm]="switch, zmm in use"
  echo "bench: booting vector-switch on Bochs corei7_skylake_x (vmx), ips=1e9 ..."
  if ! "$boot_test" --emulator bochs --model corei7_skylake_x --cpus 1 --ips 1000000000 \
      --iso "$vector_iso" --log "$log" --timeout "$timeout_s" \
      --expect "\(vsa\) bench: vcpu switch \(other domain\), avx512 in use [0-9]+" \
      --expect "\(vsb\) guest: done [0-9]+ passed, 0 failed" \
      --expect "\(vsa\) guest: done [0-9]+ passed, 0 failed" \
      --reject "PANIC" --reject "FAIL" --reject "crashed" > "$log_dir/vector-switch.out" 2>&1; then
    echo "bench: the vector-switch run failed; see $log_dir/vector-switch.out"
    tail -n 40 "$log_dir/vector-switch.out"
    status=1
  fi
  n=$(grep -aoE "\(vsa\) bench: vcpu switch \(other domain\), avx512 idle [0-9]+" "$log" | awk '{print $NF}')
  result[vmx.vswitch-idle]=${n:--} result[svm.vswitch-idle]="n/a"
  n=$(grep -aoE "\(vsa\) bench: vcpu switch \(other domain\), avx512 in use [0-9]+" "$log" | awk '{print $NF}')
  result[vmx.vswitch-zmm]=${n:--} result[svm.vswitch-zmm]="n/a"
}

hotpath() {
  local operations=(hypercall cpuid rdmsr yield yield2 evtchn-rtt lapic-timer self-ipi lapic-eoi)
  local -A label=([hypercall]="null hypercall" [cpuid]="CPUID" [rdmsr]="rdmsr 0x1B"
                  [yield]="sched_op yield" [yield2]="yield, 2 vCPUs"
                  [evtchn-rtt]="evtchn round trip" [lapic-timer]="vLAPIC timer + EOI"
                  [self-ipi]="self-IPI + EOI" [lapic-eoi]="vLAPIC EOI")
  # Xen 4.17 on the same rigs, instructions per operation: VMX / SVM ("" = not measured).
  local -A xen_vmx=([hypercall]=867 [cpuid]=873 [rdmsr]=773 [yield]=3397)
  local -A xen_svm=([hypercall]=695 [cpuid]=720 [rdmsr]=636 [yield]=3031)
  local -A result
  local rig kind model log op n
  for rig in vmx:corei7_skylake_x svm:ryzen; do
    kind=${rig%%:*} model=${rig#*:}
    log="$log_dir/bench-$model.log"
    echo "bench: booting on Bochs $model ($kind), ips=1e9 ..."
    if ! "$boot_test" --emulator bochs --model "$model" --cpus 1 --ips 1000000000 \
        --iso "$iso" --log "$log" --timeout "$timeout_s" \
        --expect "bench: yield [0-9]+" --expect "guest: done [0-9]+ passed, 0 failed" \
        --reject "PANIC" --reject "FAIL" --reject "crashed" > "$log_dir/bench-$model.out" 2>&1; then
      echo "bench: the $model run failed; see $log_dir/bench-$model.out"
      tail -n 40 "$log_dir/bench-$model.out"
      status=1
    fi
    for op in "${operations[@]}"; do
      n=$(grep -aoE "bench: $op [0-9]+" "$log" | tail -n 1 | awk '{print $3}')
      result[$kind.$op]=${n:--}
    done
  done
  if [ -n "$vector_iso" ]; then
    vector_switch
    operations+=(vswitch-idle vswitch-zmm)
  fi

  echo
  printf '%-18s | %12s | %12s | %13s | %13s | %20s\n' operation "xencore VMX" "xencore SVM" \
    "Xen 4.17 VMX" "Xen 4.17 SVM" "target (1/5 of Xen)"
  printf '%s\n' "-------------------+--------------+--------------+---------------+---------------+---------------------"
  local tv ts target
  for op in "${operations[@]}"; do
    tv=${xen_vmx[$op]:-} ts=${xen_svm[$op]:-} target="-"
    [ -n "$tv" ] && target="$(( tv / 5 )) / $(( ts / 5 ))"
    printf '%-18s | %12s | %12s | %13s | %13s | %20s\n' "${label[$op]}" "${result[vmx.$op]}" \
      "${result[svm.$op]}" "${tv:--}" "${ts:--}" "$target"
  done
  echo
  echo "(instructions per operation, as counted by the guest's RDTSC on Bochs with ips=1e9;"
  echo " yield, 2 vCPUs: one yield that switches to the other vCPU; evtchn round trip: vCPU 0"
  echo " sends to vCPU 1's IPI port, vCPU 1's upcall sends back, vCPU 0 wakes from poll;"
  echo " vLAPIC timer + EOI: TSC deadline to handler entry, plus the handler's EOI; self-IPI +"
  echo " EOI: WRMSR 0x83F to the handler's EOI and return; vLAPIC EOI: WRMSR 0x80B alone)"
  if [ -n "$vector_iso" ]; then
    echo "(switch, zmm idle / in use: a yield that hands the CPU to a vCPU of another domain,"
    echo " two domains in lock step on one CPU; AVX-512 off in XCR0 / ZMM0-31 and k0-7 full;"
    echo " no SVM rig has AVX-512)"
  fi
  local verdict t kk
  for op in "${operations[@]}"; do
    if [ -n "${xen_vmx[$op]:-}" ]; then
      verdict=""
      for kk in vmx svm; do
        n=${result[$kk.$op]}
        t=$(( ${xen_vmx[$op]} / 5 )); [ "$kk" = svm ] && t=$(( ${xen_svm[$op]} / 5 ))
        if [ "$n" = "-" ]; then verdict+=" $kk: no figure;"
        elif [ "$n" -le "$t" ]; then verdict+=" $kk: met ($n <= $t);"
        else verdict+=" $kk: missed ($n > $t);"; fi
      done
      echo "target ${label[$op]}:${verdict%;}"
    fi
    [[ "${result[vmx.$op]}" = "-" || "${result[svm.$op]}" = "-" ]] && status=1
  done
  return 0
}

# ---- 2. Wake-up latency in QEMU with -icount ----------------------------------------
# Fields of a guest line "latency: period=P spinners=N n=.. p50_ns=.. ...".
latency_field() { # line field
  printf '%s\n' "$1" | grep -oE "(^| )$2=[0-9a-z]+" | head -n 1 | cut -d= -f2
}
us() { # ns -> µs with one decimal, or "-"
  [ -n "$1" ] && awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }' || printf -- '-'
}

latency() {
  local spinners=(0 1 2 4) scheds=(credit credit2)
  local -A line
  local sched n iso log period
  for sched in "${scheds[@]}"; do
    for n in "${spinners[@]}"; do
      iso="$latency_dir/latency-$sched-$n.iso"
      log="$log_dir/latency-$sched-$n.log"
      if [ ! -f "$iso" ]; then
        echo "bench: no latency image $iso"; status=1; continue
      fi
      echo "bench: latency, $sched, $n spinning vCPU(s), QEMU -smp 1 -icount shift=0 ..."
      if ! "$boot_test" --emulator qemu --model max --cpus 1 --iso "$iso" --log "$log" \
          --timeout "$timeout_s" --qemu-arg -icount --qemu-arg shift=0,sleep=off \
          --qemu-arg -rtc --qemu-arg clock=vm \
          --expect "latency: period=jitter " --expect "guest: done [0-9]+ passed, 0 failed" \
          --reject "PANIC" --reject "FAIL" --reject "crashed" > "$log_dir/latency-$sched-$n.out" 2>&1
      then
        echo "bench: the latency run ($sched, $n) failed; see $log_dir/latency-$sched-$n.out"
        tail -n 20 "$log_dir/latency-$sched-$n.out"
        status=1
      fi
      for period in fixed jitter; do
        line[$sched.$n.$period]=$(tr -d '\r' < "$log" | grep -aoE "latency: period=$period .*" | tail -n 1)
      done
    done
  done

  echo
  echo "Wake-up latency: vCPU 0 sleeps on its one-shot timer (SCHEDOP_poll on VIRQ_TIMER),"
  echo "works 50 us per period while N vCPUs of the same domain spin; delay from deadline to"
  echo "running, in us of guest time (QEMU -smp 1 -icount shift=0: 1 instruction = 1 ns)."
  echo "spin err: the spinners' worst deviation from an equal share."
  echo
  printf '%-16s | %-36s | %-36s\n' "" "credit" "credit2"
  printf '%-7s %8s | %8s %8s %9s %8s | %8s %8s %9s %8s\n' period spinners \
    p50 p99 max "spin err" p50 p99 max "spin err"
  printf '%s\n' "-----------------+--------------------------------------+-------------------------------------"
  local l row err missed=""
  for period in fixed jitter; do
    for n in "${spinners[@]}"; do
      row=$(printf '%-7s %8s |' "$period" "$n")
      for sched in "${scheds[@]}"; do
        l=${line[$sched.$n.$period]:-}
        if [ -z "$l" ]; then
          row+=$(printf ' %8s %8s %9s %8s |' - - - -); status=1; continue
        fi
        err=$(latency_field "$l" spin_err_permille)
        [ "$n" = 0 ] && err="" || err=$(awk -v e="$err" 'BEGIN { printf "%.1f%%", e / 10 }')
        row+=$(printf ' %8s %8s %9s %8s |' "$(us "$(latency_field "$l" p50_ns)")" \
          "$(us "$(latency_field "$l" p99_ns)")" "$(us "$(latency_field "$l" max_ns)")" "${err:--}")
        if [ "$sched" = credit2 ]; then
          local p99 max e
          p99=$(latency_field "$l" p99_ns) max=$(latency_field "$l" max_ns)
          e=$(latency_field "$l" spin_err_permille)
          [ "$p99" -gt 100000 ] && missed+=" $period/$n: p99 $(us "$p99") us > 100;"
          [ "$max" -gt 1000000 ] && missed+=" $period/$n: max $(us "$max") us > 1000;"
          [ "$n" != 0 ] && [ "$e" -gt 20 ] && missed+=" $period/$n: spin err $(( e / 10 )).$(( e % 10 ))% > 2%;"
        fi
      done
      echo "${row%|}"
    done
  done
  echo
  if [ -z "$missed" ]; then
    echo "target credit2 (p99 <= 100 us, max <= 1 ms, spinners within 2%): met in every case"
  else
    echo "target credit2 (p99 <= 100 us, max <= 1 ms, spinners within 2%): missed:${missed%;}"
  fi
  echo "(Xen 4.17, same scenario: credit p99 62.5 us with single stalls of 88-119 ms; credit2"
  echo " p99 513 us with a fixed period, up to 10 ms jittered)"
  return 0
}

[ "$only" = latency ] || hotpath
if [ "$only" != hotpath ] && [ -n "$latency_dir" ]; then
  latency
fi
exit $status
