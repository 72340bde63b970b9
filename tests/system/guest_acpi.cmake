# A guest counts its CPUs from the MADT and finds them all (issue 5, item 3).
# Included from tests/system/CMakeLists.txt after guests.cmake (it uses
# xencore_guest_image, guest_done, GUEST_OFF, GUEST_REJECT, NO_CRASH).
#
# tests/guests/acpi.c follows start_info.rsdp_paddr through RSDP, XSDT, FADT,
# DSDT and MADT, checking every signature, length and checksum and that the
# memory map marks the tables ACPI; it prints the CPUs the MADT lists and
# compares them with vcpus=N on its command line and with VCPUOP_is_up.
# Both back ends: QEMU (SVM) and Bochs skylake_x (VMX).
foreach(n 1 4)
  xencore_guest_image(guest-acpi-${n} GUESTS acpi DOMAINS
    "name=acpi,kernel=@acpi@,memory=16M,vcpus=${n},cmdline=\"vcpus=${n}\"")
endforeach()
guest_done(ACPI_DONE acpi)
set(EXPECT_acpi_1
  --expect "\\(acpi\\) guest: MADT lists 1 CPUs \\(x2APIC ids 0-0\\)"
  ${ACPI_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})
set(EXPECT_acpi_4
  --expect "\\(acpi\\) guest: MADT lists 4 CPUs \\(x2APIC ids 0-3\\)"
  ${ACPI_DONE} ${GUEST_OFF} ${GUEST_REJECT} ${NO_CRASH})
foreach(n 1 4)
  xencore_boot_test(NAME qemu_max_guest_acpi_${n}vcpus LABELS qemu TIMEOUT 120 ARGS
    --emulator qemu --model max --cpus 2 --iso ${CMAKE_CURRENT_BINARY_DIR}/guest-acpi-${n}.iso
    ${EXPECT_acpi_${n}})
  xencore_boot_test(NAME bochs_skylake_x_guest_acpi_${n}vcpus LABELS bochs TIMEOUT 300 ARGS
    --emulator bochs --model corei7_skylake_x --cpus 2
    --iso ${CMAKE_CURRENT_BINARY_DIR}/guest-acpi-${n}.iso ${EXPECT_acpi_${n}})
endforeach()
