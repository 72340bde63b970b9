# System tests with guests: images made by xencore-mkimage from the test
# guests (tests/guests), booted on the four rigs and judged by the console.
# Included from tests/system/CMakeLists.txt (xencore_boot_test, BOOT_TEST).
#
# Every image boots with "poweroff": the hypervisor switches the machine off
# once every CPU is up and no domain is left, so a run ends by itself.
#
# Console facts relied on (libxencore/core/domain.c):
#   (<name>) <line>                                   a guest's console line
#   xencore: domain <name> (dom<N>) crashed: <reason>
#   xencore: domain <name> (dom<N>): <M> MiB, ... mapped 4k=<a> 2m=<b> 1g=<c>
#   xencore: powering off

set(GUEST_DIR ${PROJECT_BINARY_DIR}/tests/guests)

# xencore_guest_image(<name> GUESTS <guest>... DOMAINS <spec>...)
# Makes <name>.iso in this directory; in each --domain spec, @<guest>@
# stands for that guest's ELF (e.g. kernel=@hello@).
function(xencore_guest_image name)
  cmake_parse_arguments(I "" "" "GUESTS;DOMAINS" ${ARGN})
  set(iso ${CMAKE_CURRENT_BINARY_DIR}/${name}.iso)
  set(domain_args "")
  foreach(spec IN LISTS I_DOMAINS)
    foreach(guest IN LISTS I_GUESTS)
      string(REPLACE "@${guest}@" "$<TARGET_FILE:guest-${guest}>" spec "${spec}")
    endforeach()
    list(APPEND domain_args --domain "${spec}")
  endforeach()
  list(TRANSFORM I_GUESTS PREPEND guest- OUTPUT_VARIABLE guest_targets)
  add_custom_command(OUTPUT ${iso}
    COMMAND xencore-mkimage -o ${iso} --hypervisor $<TARGET_FILE:xencore.elf>
            --boot-options poweroff ${domain_args}
    DEPENDS xencore-mkimage xencore.elf ${guest_targets}
    COMMENT "Guest test image ${name}.iso"
    VERBATIM)
  add_custom_target(${name}-iso ALL DEPENDS ${iso})
endfunction()

# ---- Images ---------------------------------------------------------------------
# The command line carries a comma and blanks: mkimage's quoting end to end.
set(HELLO_CMDLINE "name=hello expect_mib=32 list=a,b")
xencore_guest_image(guest-hello GUESTS hello DOMAINS
  "name=hello,kernel=@hello@,memory=32M,cmdline=\"${HELLO_CMDLINE}\"")
xencore_guest_image(guest-cpuid-msr GUESTS cpuid_msr DOMAINS
  "name=cpuid,kernel=@cpuid_msr@,memory=16M")
xencore_guest_image(guest-hypercalls GUESTS hypercalls DOMAINS
  "name=hcall,kernel=@hypercalls@,memory=16M")
# A domain the hypervisor must crash, next to a healthy one that must finish.
xencore_guest_image(guest-outside-ram GUESTS outside_ram hello DOMAINS
  "name=outside,kernel=@outside_ram@,memory=32M"
  "name=survivor,kernel=@hello@,memory=32M,cmdline=\"name=survivor expect_mib=32\"")
xencore_guest_image(guest-triple-fault GUESTS triple_fault hello DOMAINS
  "name=triple,kernel=@triple_fault@,memory=16M"
  "name=survivor,kernel=@hello@,memory=32M,cmdline=\"name=survivor expect_mib=32\"")
set(MULTI_NAMES alice bob carol dave)
set(multi_specs "")
foreach(who IN LISTS MULTI_NAMES)
  list(APPEND multi_specs "name=${who},kernel=@hello@,memory=32M,cmdline=\"name=${who} expect_mib=32\"")
endforeach()
list(SUBLIST multi_specs 0 2 two_specs)
xencore_guest_image(guest-two GUESTS hello DOMAINS ${two_specs})
xencore_guest_image(guest-four GUESTS hello DOMAINS ${multi_specs})
# The demo `make run` boots: two guests side by side on a 4-CPU machine.
xencore_guest_image(xencore-demo GUESTS hello DOMAINS
  "name=alice,kernel=@hello@,memory=32M,cmdline=\"name=alice expect_mib=32\""
  "name=bob,kernel=@hello@,memory=64M,cmdline=\"name=bob expect_mib=64\"")
xencore_boot_test(NAME qemu_demo_smp4 LABELS qemu TIMEOUT 90 ARGS
  --emulator qemu --model max --cpus 4 --iso ${CMAKE_CURRENT_BINARY_DIR}/xencore-demo.iso
  --expect "^xencore: ready cpus=4/4 " --expect "\\(alice\\) guest: done [0-9]+ passed, 0 failed"
  --expect "\\(bob\\) guest: done [0-9]+ passed, 0 failed" --expect "xencore: powering off"
  --reject "FAIL" --reject "PANIC" --reject "crashed")
# 1 GiB of guest RAM: one 1 GiB page where the CPU's EPT/NPT allows it.
xencore_guest_image(guest-1g GUESTS hello DOMAINS
  "name=big,kernel=@hello@,memory=1024M,cmdline=\"name=big expect_mib=1024\"")

# ---- Expectations ------------------------------------------------------------
set(GUEST_REJECT --reject "FAIL" --reject "PANIC" --reject "guest exception")
set(NO_CRASH --reject "crashed")
# Every domain's memory comes back: the free-frame count when the last one is
# gone equals the count before the first was built (crashed ones included).
set(GUEST_OFF --expect "xencore: powering off"
  --expect "no domains left: ([0-9]+) KiB free, \\1 KiB free before any domain was built")
# guest_done(<var> <name>...): the report line of each named domain.
function(guest_done var)
  set(out "")
  foreach(who IN LISTS ARGN)
    list(APPEND out --expect "\\(${who}\\) guest: done [1-9][0-9]* passed, 0 failed")
  endforeach()
  set(${var} ${out} PARENT_SCOPE)
endfunction()

guest_done(HELLO_DONE hello)
set(EXPECT_hello
  --expect "\\(hello\\) hello from hello"
  --expect "\\(hello\\) guest: cmdline '${HELLO_CMDLINE}'"
  ${HELLO_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})
guest_done(CPUID_DONE cpuid)
set(EXPECT_cpuid_msr ${CPUID_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})
guest_done(HCALL_DONE hcall)
set(EXPECT_hypercalls
  --expect "\\(hcall\\) guest: ok a hypercall from CPL 3 is -EPERM"
  ${HCALL_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})
guest_done(SURVIVOR_DONE survivor)
set(EXPECT_outside_ram
  --expect "\\(outside\\) guest: touching memory outside RAM"
  --expect "xencore: domain outside \\(dom[0-9]+\\) crashed: "
  ${SURVIVOR_DONE} ${GUEST_OFF} ${GUEST_REJECT} --reject "survived"
  --reject "domain survivor \\(dom[0-9]+\\) crashed")
set(EXPECT_triple_fault
  --expect "\\(triple\\) guest: about to triple fault"
  --expect "xencore: domain triple \\(dom[0-9]+\\) crashed: "
  ${SURVIVOR_DONE} ${GUEST_OFF} ${GUEST_REJECT} --reject "survived"
  --reject "domain survivor \\(dom[0-9]+\\) crashed")
guest_done(TWO_DONE alice bob)
set(EXPECT_two ${TWO_DONE} --expect "\\(alice\\) hello from alice"
  --expect "\\(bob\\) hello from bob" ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})
guest_done(FOUR_DONE ${MULTI_NAMES})
set(EXPECT_four ${FOUR_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})

set(GUEST_TESTS hello cpuid_msr hypercalls outside_ram triple_fault two four)
set(ISO_hello guest-hello)
set(ISO_cpuid_msr guest-cpuid-msr)
set(ISO_hypercalls guest-hypercalls)
set(ISO_outside_ram guest-outside-ram)
set(ISO_triple_fault guest-triple-fault)
set(ISO_two guest-two)
set(ISO_four guest-four)

# ---- The rigs ------------------------------------------------------------------
#   qemu_max        QEMU TCG -cpu max: SVM + NPT without NRIPS
#   bochs_ryzen     SVM + NPT with NRIPS
#   bochs_skylake_x VMX + EPT with 1 GiB pages
#   bochs_sandy     VMX + EPT with 2 MiB pages only
set(RIGS qemu_max bochs_ryzen bochs_skylake_x bochs_sandy)
set(RIG_qemu_max --emulator qemu --model max --cpus 2)
set(RIG_bochs_ryzen --emulator bochs --model ryzen --cpus 2)
set(RIG_bochs_skylake_x --emulator bochs --model corei7_skylake_x --cpus 2)
set(RIG_bochs_sandy --emulator bochs --model corei7_sandy_bridge_2600k --cpus 2)

foreach(rig IN LISTS RIGS)
  if(rig MATCHES "^qemu")
    set(label qemu)
    set(timeout 90)
  else()
    set(label bochs)
    set(timeout 240)
  endif()
  foreach(test IN LISTS GUEST_TESTS)
    xencore_boot_test(NAME ${rig}_guest_${test} LABELS ${label} TIMEOUT ${timeout} ARGS
      ${RIG_${rig}} --iso ${CMAKE_CURRENT_BINARY_DIR}/${ISO_${test}}.iso ${EXPECT_${test}})
  endforeach()
endforeach()

# 1 GiB of guest RAM in one page needs a free, 1 GiB-aligned GiB of host
# memory. With 2 GiB the Bochs BIOS keeps its ACPI tables at the top of RAM,
# inside [1 GiB, 2 GiB), so only 2 MiB pages are possible (measured: 2m=512
# 1g=0 on skylake_x); with 3 GiB that GiB is free. host= is capped at 2048;
# Bochs backs the rest of guest RAM as it is touched.
set(BOCHS_3G --bochs-line "memory: guest=3072, host=2048")
guest_done(BIG_DONE big)
xencore_boot_test(NAME bochs_skylake_x_guest_1g_pages LABELS "bochs;slow" TIMEOUT 400 ARGS
  ${RIG_bochs_skylake_x} ${BOCHS_3G} --iso ${CMAKE_CURRENT_BINARY_DIR}/guest-1g.iso
  --expect "xencore: domain big \\(dom[0-9]+\\): 1024 MiB, .*mapped 4k=[0-9]+ 2m=[0-9]+ 1g=[1-9][0-9]*"
  ${BIG_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})
xencore_boot_test(NAME bochs_sandy_guest_1g_uses_2m_pages LABELS "bochs;slow" TIMEOUT 400 ARGS
  ${RIG_bochs_sandy} ${BOCHS_3G} --iso ${CMAKE_CURRENT_BINARY_DIR}/guest-1g.iso
  --expect "xencore: domain big \\(dom[0-9]+\\): 1024 MiB, .*mapped 4k=[0-9]+ 2m=[1-9][0-9]* 1g=0\r?$"
  ${BIG_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})

# ---- xencore-mkimage on the host: bad input is refused, nothing written ----
add_test(NAME mkimage_cli
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/mkimage-cli-test.sh $<TARGET_FILE:xencore-mkimage>
          $<TARGET_FILE:guest-hello> $<TARGET_FILE:xencore.elf>)
set_tests_properties(mkimage_cli PROPERTIES LABELS unit TIMEOUT 120)
