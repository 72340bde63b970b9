/**
 * @file xencore.h
 * @brief The entry point of libxencore.
 *
 * An image consists of a boot stub (multiboot2, UEFI, coreboot ...), a board
 * description, and this library. The stub switches the boot CPU to 64-bit
 * mode on the library's page-table layout (see the installed linker script),
 * fills a ::xencore_boot_info and calls xencore_start(). From then on the
 * library owns the machine.
 *
 * Command-line options (board defaults first, then the loader's line; words
 * separated by spaces; unknown words are reported and ignored):
 * - `maxcpus=N`  bring up at most N CPUs (the boot CPU included), 1..XENCORE_MAX_CPUS.
 * - `x2apic=0|1` allow or forbid x2APIC mode (default: use it when the CPU has it).
 * - `noreboot`   on panic, halt instead of resetting the machine.
 * - `poweroff`   power the machine off once every CPU is up and no domain is left
 *                (at once if the image starts none; used by tests and demos).
 */
#ifndef XENCORE_XENCORE_H
#define XENCORE_XENCORE_H

#include <xencore/board.h>
#include <xencore/boot_info.h>
#include <xencore/config.h>

/** @brief The library's version, as major * 10000 + minor * 100 + patch. */
#define XENCORE_VERSION 100
/** @brief The library's version as a string. */
#define XENCORE_VERSION_STRING "0.1.0"

/**
 * @brief Take over the machine and run the hypervisor. Never returns.
 *
 * Must be called once, on the boot CPU, in 64-bit mode with interrupts
 * disabled, on the boot page tables the installed linker script provides.
 * The hypervisor copies what it needs from @p info and @p board; both may be
 * discarded afterwards. Invalid boot information ends in a panic whose message
 * names the problem.
 *
 * @param info  What the boot loader reported; must not be NULL.
 * @param board The board description; must not be NULL.
 */
_Noreturn void xencore_start(const struct xencore_boot_info *info, const struct xencore_board *board);

#endif /* XENCORE_XENCORE_H */
