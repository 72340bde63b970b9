# System tests for guests' vector state (issue 5, item 1). Included after
# guests.cmake (xencore_guest_image, guest_done, RIG_*, GUEST_OFF, ...).
#
# Two domains with different seeds, both pinned to CPU 0, so every yield and
# every wake-up from a block switches between them on one CPU: each must
# find its own YMM (ZMM, k) registers, MXCSR and XCR0 after thousands of
# switches (tests/guests/vector_state.c). On Bochs skylake_x (VMX, AVX-512:
# XCR0 0xe7, ZMM0-31 and k0-7), Bochs Sandy Bridge (VMX, AVX only: 0x7) and
# QEMU (SVM; its AVX2 host offers x87|SSE|AVX = 0x7 to guests).
xencore_guest_image(guest-vector-state GUESTS vector_state DOMAINS
  "name=vsa,kernel=@vector_state@,memory=16M,cpus=0,cmdline=\"seed=1\""
  "name=vsb,kernel=@vector_state@,memory=16M,cpus=0,cmdline=\"seed=2\"")
guest_done(VECTOR_DONE vsa vsb)
set(VECTOR_REJECT --reject "vector state mismatch" ${GUEST_REJECT} ${NO_CRASH})
function(vector_state_expect var regs xcr0)
  set(out "")
  foreach(who vsa vsb)
    list(APPEND out --expect
      "\\(${who}\\) guest: vector state intact: 4000 yields, 400 blocks, ${regs} mxcsr xcr0=${xcr0}\r?$")
  endforeach()
  set(${var} ${out} PARENT_SCOPE)
endfunction()
vector_state_expect(VECTOR_AVX512 "ymm0-15 zmm0-31 k0-7" 0xe7)
vector_state_expect(VECTOR_AVX "ymm0-15" 0x7)
set(VECTOR_ISO --iso ${CMAKE_CURRENT_BINARY_DIR}/guest-vector-state.iso)
xencore_boot_test(NAME bochs_skylake_x_guest_vector_state LABELS bochs TIMEOUT 300 ARGS
  ${RIG_bochs_skylake_x} ${VECTOR_ISO} ${VECTOR_AVX512} ${VECTOR_DONE} ${GUEST_OFF}
  ${VECTOR_REJECT})
xencore_boot_test(NAME bochs_sandy_guest_vector_state LABELS bochs TIMEOUT 300 ARGS
  ${RIG_bochs_sandy} ${VECTOR_ISO} ${VECTOR_AVX} ${VECTOR_DONE} ${GUEST_OFF} ${VECTOR_REJECT})
xencore_boot_test(NAME qemu_max_guest_vector_state LABELS qemu TIMEOUT 120 ARGS
  ${RIG_qemu_max} ${VECTOR_ISO} ${VECTOR_AVX} ${VECTOR_DONE} ${GUEST_OFF} ${VECTOR_REJECT})

# XSETBV policy, strictly: every invalid XCR0 is #GP, every valid
# combination of the offered components is accepted and reads back, CPUID
# 0xD agrees (tests/guests/cpuid_msr.c with xsetbv=strict). Only on Bochs:
# QEMU 7.2's SVM does not intercept XSETBV, so there QEMU judges it, not us.
# On tigerlake the CPU has PKRU (XCR0 0x2e7) and the policy does not offer
# it: there only our handler can refuse bit 9.
xencore_guest_image(guest-cpuid-msr-strict GUESTS cpuid_msr DOMAINS
  "name=cpuid,kernel=@cpuid_msr@,memory=16M,cmdline=\"xsetbv=strict\"")
set(XSETBV_STRICT --iso ${CMAKE_CURRENT_BINARY_DIR}/guest-cpuid-msr-strict.iso
  --expect "\\(cpuid\\) guest: xsetbv checked strictly: " ${CPUID_DONE} ${GUEST_OFF}
  ${GUEST_REJECT} ${NO_CRASH})
xencore_boot_test(NAME bochs_skylake_x_guest_xsetbv_strict LABELS bochs TIMEOUT 240 ARGS
  ${RIG_bochs_skylake_x} ${XSETBV_STRICT}
  --expect "\\(cpuid\\) guest: xsetbv checked strictly: offered 0xe7")
xencore_boot_test(NAME bochs_sandy_guest_xsetbv_strict LABELS bochs TIMEOUT 240 ARGS
  ${RIG_bochs_sandy} ${XSETBV_STRICT}
  --expect "\\(cpuid\\) guest: xsetbv checked strictly: offered 0x7,")
xencore_boot_test(NAME bochs_tigerlake_guest_xsetbv_strict LABELS bochs TIMEOUT 240 ARGS
  --emulator bochs --model tigerlake --cpus 1 ${XSETBV_STRICT}
  --expect "^xencore: ready cpus=1/1 .*xcr0=0x2e7"
  --expect "\\(cpuid\\) guest: xsetbv checked strictly: offered 0xe7")
