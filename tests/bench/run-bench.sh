#!/usr/bin/env bash
# Boots the bench image (guest-bench.elf under xencore) on Bochs twice, VMX
# (corei7_skylake_x) and SVM (ryzen), one CPU, ips=1e9 and clock sync=none,
# so the guest's RDTSC deltas count emulated instructions. Reads the guest's
# "bench: <operation> <n>" lines and prints them next to Xen 4.17's figures
# and the target (a fifth of Xen's). Builds nothing.
#
#   run-bench.sh --iso guest-bench.iso [--boot-test tests/system/boot-test.sh]
#                [--log-dir DIR] [--timeout SECONDS]
#
# Exit status 0 when both runs produced every figure (whether or not the
# targets are met: this measures, it does not judge), 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
iso="" boot_test="$here/../system/boot-test.sh" log_dir="" timeout_s=600
while [ $# -gt 0 ]; do
  case "$1" in
    --iso) iso=$2; shift 2 ;;
    --boot-test) boot_test=$2; shift 2 ;;
    --log-dir) log_dir=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$iso" ] || [ ! -f "$iso" ]; then
  echo "run-bench.sh: no bench image '${iso}': build it (cmake --build BUILD --target bench-iso)" >&2
  exit 2
fi
[ -n "$log_dir" ] || log_dir=$(dirname "$iso")
mkdir -p "$log_dir"

operations=(hypercall cpuid rdmsr yield)
declare -A label=([hypercall]="null hypercall" [cpuid]="CPUID" [rdmsr]="rdmsr 0x1B"
                  [yield]="sched_op yield")
# Xen 4.17 on the same rigs, instructions per operation: VMX / SVM.
declare -A xen_vmx=([hypercall]=867 [cpuid]=873 [rdmsr]=773 [yield]=3397)
declare -A xen_svm=([hypercall]=695 [cpuid]=720 [rdmsr]=636 [yield]=3031)
declare -A result

status=0
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

echo
printf '%-16s | %12s | %12s | %13s | %13s | %20s\n' operation "xencore VMX" "xencore SVM" \
  "Xen 4.17 VMX" "Xen 4.17 SVM" "target (1/5 of Xen)"
printf '%s\n' "-----------------+--------------+--------------+---------------+---------------+---------------------"
for op in "${operations[@]}"; do
  target_vmx=$(( ${xen_vmx[$op]} / 5 )) target_svm=$(( ${xen_svm[$op]} / 5 ))
  printf '%-16s | %12s | %12s | %13s | %13s | %20s\n' "${label[$op]}" "${result[vmx.$op]}" \
    "${result[svm.$op]}" "${xen_vmx[$op]}" "${xen_svm[$op]}" "$target_vmx / $target_svm"
done
echo
echo "(instructions per operation, as counted by the guest's RDTSC on Bochs with ips=1e9)"
for op in "${operations[@]}"; do
  target_vmx=$(( ${xen_vmx[$op]} / 5 )) target_svm=$(( ${xen_svm[$op]} / 5 ))
  verdict=""
  for kind in vmx svm; do
    n=${result[$kind.$op]}
    t=$target_vmx; [ "$kind" = svm ] && t=$target_svm
    if [ "$n" = "-" ]; then verdict+=" $kind: no figure;"
    elif [ "$n" -le "$t" ]; then verdict+=" $kind: met ($n <= $t);"
    else verdict+=" $kind: missed ($n > $t);"; fi
  done
  echo "target ${label[$op]}:${verdict%;}"
  [[ "${result[vmx.$op]}" = "-" || "${result[svm.$op]}" = "-" ]] && status=1
done
exit $status
