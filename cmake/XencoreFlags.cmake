# Compiler settings of the two builds of the core.
#
# xencore_freestanding: hypervisor code. A 64-bit kernel environment: no C
#   library, no red zone (interrupts land on the same stack), no vector
#   registers (guest state lives there), code in the top 2 GiB.
# xencore_hosted: the same core sources compiled for Linux user space, against
#   arch/host, for unit tests, with AddressSanitizer and UBSan.

set(XENCORE_WARNINGS -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wno-unused-parameter)

set(XENCORE_FREESTANDING_COMPILE_OPTIONS
    -std=gnu11 -ffreestanding -fno-builtin -nostdlib -fno-pic -fno-pie -mcmodel=kernel
    -mno-red-zone -mgeneral-regs-only -mno-mmx -mno-sse -mno-sse2 -fno-stack-protector
    -fno-asynchronous-unwind-tables -fomit-frame-pointer -fcf-protection=none)
set(XENCORE_FREESTANDING_LINK_OPTIONS
    -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=0x1000
    -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments)

#
# xencore_freestanding is also installed, as xencore::freestanding (see
# XencoreInstall.cmake): the code-generation flags are part of the library's
# ABI and go to an OEM's code too; the kit's own warning policy, optimisation
# and debug info are BUILD_INTERFACE only, an OEM picks its own.
add_library(xencore_freestanding INTERFACE)
target_compile_options(xencore_freestanding INTERFACE
  $<$<COMPILE_LANGUAGE:C>:${XENCORE_FREESTANDING_COMPILE_OPTIONS}>
  $<BUILD_INTERFACE:$<$<COMPILE_LANGUAGE:C>:${XENCORE_WARNINGS} -O2 -g>>
  $<$<COMPILE_LANGUAGE:ASM>:-fno-pic>
  $<BUILD_INTERFACE:$<$<COMPILE_LANGUAGE:ASM>:-g>>)
target_compile_definitions(xencore_freestanding INTERFACE XENCORE_MAX_CPUS=${XENCORE_MAX_CPUS})

set(XENCORE_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all)
add_library(xencore_hosted INTERFACE)
target_compile_options(xencore_hosted INTERFACE -std=gnu11 ${XENCORE_WARNINGS} -O1 -g
  -fno-omit-frame-pointer ${XENCORE_SANITIZERS})
target_link_options(xencore_hosted INTERFACE ${XENCORE_SANITIZERS})
# The host build is where the largest CPU counts are exercised.
target_compile_definitions(xencore_hosted INTERFACE XENCORE_HOSTED XENCORE_MAX_CPUS=4096)
