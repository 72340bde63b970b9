/* Unit tests of boot_info_check() (libxencore/core/boot_check.c).
 *
 * struct xencore_boot_info is the one thing a boot stub (ours or an OEM's)
 * hands to the core; xencore_start() refuses to run on it when this check
 * fails, and panics with the message. So each kind of bad information must be
 * caught, with a message a person can act on, and good information must pass:
 * a false alarm stops the machine just as surely as a missed one corrupts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/boot_check.h"
#include "lib/errno.h"

#define MiB (1024ULL * 1024)

/* A machine with 256 MiB, the image at 2 MiB, two modules above it. */
static struct xencore_boot_info *valid_info(void)
{
    struct xencore_boot_info *info = calloc(1, sizeof(*info));
    assert_non_null(info);
    strcpy(info->loader_name, "GRUB 2.06");
    strcpy(info->cmdline, "maxcpus=4");
    info->memmap_entries = 3;
    info->memmap[0] = (struct xencore_mem_range){ 0, 0x9fc00, XENCORE_MEM_RAM, 0 };
    info->memmap[1] = (struct xencore_mem_range){ 0x9fc00, 0x60400, XENCORE_MEM_RESERVED, 0 };
    info->memmap[2] = (struct xencore_mem_range){ 1 * MiB, 255 * MiB, XENCORE_MEM_RAM, 0 };
    info->module_count = 2;
    info->modules[0].base = 8 * MiB;
    info->modules[0].length = 1 * MiB;
    strcpy(info->modules[0].cmdline, "vmlinuz console=hvc0");
    info->modules[1].base = 9 * MiB; /* right after module 0: touching is not overlapping */
    info->modules[1].length = 4096;
    strcpy(info->modules[1].cmdline, "manifest");
    info->acpi_rsdp_length = 36;
    info->image_start = 2 * MiB;
    info->image_end = 3 * MiB;
    return info;
}

static void assert_accepted(struct xencore_boot_info *info)
{
    char message[256] = "";
    int rc = boot_info_check(info, message, sizeof(message));
    if (rc)
        print_error("unexpected refusal: %s\n", message);
    assert_int_equal(rc, 0);
}

/* Checks @info, expects -XC_EINVAL and a message containing @key; frees @info. */
static void assert_refused(struct xencore_boot_info *info, const char *key)
{
    char message[256] = "";
    int rc = boot_info_check(info, message, sizeof(message));
    if (rc == 0 || !strstr(message, key))
        print_error("expected a refusal mentioning '%s', got %d: '%s'\n", key, rc, message);
    assert_int_equal(rc, -XC_EINVAL);
    assert_non_null(strstr(message, key));
    free(info);
}

static void test_valid_info_passes(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    assert_accepted(info);
    /* Also without modules, ACPI pointer or command line. */
    info->module_count = 0;
    info->acpi_rsdp_length = 0;
    info->cmdline[0] = '\0';
    assert_accepted(info);
    free(info);
}

static void test_no_memory_map(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->memmap_entries = 0;
    assert_refused(info, "no memory map");

    info = valid_info();
    info->memmap_entries = XENCORE_BOOT_MEMMAP_MAX + 1;
    assert_refused(info, "more than the");
}

static void test_range_wraps(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->memmap[1] =
        (struct xencore_mem_range){ 0xfffffffffffff000ULL, 0x2000, XENCORE_MEM_RESERVED, 0 };
    assert_refused(info, "wraps around");

    info = valid_info();
    info->memmap[2].length = UINT64_MAX;
    assert_refused(info, "entry 2");

    /* Ending at the very top of the address space is not wrapping. */
    info = valid_info();
    info->memmap[1] =
        (struct xencore_mem_range){ 0xfffffffffffff000ULL, 0x1000, XENCORE_MEM_RESERVED, 0 };
    assert_accepted(info);
    free(info);
}

static void test_no_ram(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->memmap[0].type = XENCORE_MEM_RESERVED;
    info->memmap[2].type = XENCORE_MEM_ACPI_NVS;
    assert_refused(info, "no usable RAM");

    info = valid_info(); /* RAM entries of length 0 are not RAM */
    info->memmap[0].length = 0;
    info->memmap[2].length = 0;
    assert_refused(info, "no usable RAM");
}

static void test_module_overlaps_image(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->modules[1].base = 2 * MiB + 512 * 1024; /* inside */
    assert_refused(info, "overlaps the hypervisor image");

    info = valid_info();
    info->modules[0].base = 1 * MiB; /* [1 MiB, 2 MiB + 1) covers the image's first byte */
    info->modules[0].length = 1 * MiB + 1;
    assert_refused(info, "overlaps the hypervisor image");

    info = valid_info();
    info->modules[0].base = 3 * MiB - 1; /* the image's last byte */
    assert_refused(info, "'vmlinuz console=hvc0'");

    info = valid_info();
    info->modules[0].base = 1 * MiB; /* a module around the whole image */
    info->modules[0].length = 4 * MiB;
    assert_refused(info, "overlaps the hypervisor image");

    /* Touching the image on either side is fine. */
    info = valid_info();
    info->modules[0].base = 1 * MiB;
    info->modules[0].length = 1 * MiB;
    info->modules[1].base = 3 * MiB;
    assert_accepted(info);
    free(info);
}

static void test_modules_overlap(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->modules[1].base = 9 * MiB - 1;
    assert_refused(info, "modules 0 and 1 overlap");

    info = valid_info();
    info->module_count = 3;
    info->modules[2].base = 4 * MiB; /* around module 1 */
    info->modules[2].length = 8 * MiB;
    assert_refused(info, "modules 0 and 2 overlap");
}

/* A module reaching the last byte of the address space still overlaps
 * another one inside it. */
static void test_modules_overlap_at_top_of_memory(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->modules[0].base = 0xffffffffffff0000ULL;
    info->modules[0].length = 0x10000; /* ends exactly at 2^64 */
    info->modules[1].base = 0xffffffffffff8000ULL;
    info->modules[1].length = 0x1000;
    assert_refused(info, "modules 0 and 1 overlap");

    info = valid_info();
    info->modules[0].base = 0xffffffffffff8000ULL;
    info->modules[0].length = 0x1000;
    info->modules[1].base = 0xffffffffffff0000ULL;
    info->modules[1].length = 0x10000;
    assert_refused(info, "modules 0 and 1 overlap");
}

static void test_module_wraps(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->modules[1].base = 0xfffffffffffff000ULL;
    info->modules[1].length = 0x2000;
    assert_refused(info, "module 1 wraps");
}

static void test_module_cmdline_unterminated(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    memset(info->modules[1].cmdline, 'a', sizeof(info->modules[1].cmdline));
    assert_refused(info, "module 1's command line is not terminated");

    /* The longest string that fits is fine. */
    info = valid_info();
    memset(info->modules[1].cmdline, 'a', sizeof(info->modules[1].cmdline) - 1);
    assert_accepted(info);
    free(info);
}

static void test_cmdline_unterminated(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    memset(info->cmdline, 'x', sizeof(info->cmdline));
    assert_refused(info, "command line is not terminated");
}

static void test_too_many_modules(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->module_count = XENCORE_BOOT_MODULES_MAX + 1;
    assert_refused(info, "boot modules");
}

static void test_bad_image_bounds(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->image_end = info->image_start;
    assert_refused(info, "image bounds");

    info = valid_info();
    info->image_start = 2 * MiB + 0x800;
    assert_refused(info, "page-aligned");
}

static void test_rsdp_length(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->acpi_rsdp_length = 37;
    assert_refused(info, "RSDP");
}

/* A boot stub's own complaint comes first and is passed on word for word. */
static void test_loader_error_reported(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    strcpy(info->loader_error, "multiboot2 information has no end tag");
    info->memmap_entries = 0; /* would be a problem too, but is not the first */
    assert_refused(info, "multiboot2 information has no end tag");

    /* Even a full-length message without a terminator does not run over. */
    info = valid_info();
    memset(info->loader_error, 'e', sizeof(info->loader_error));
    char message[512];
    memset(message, 0, sizeof(message));
    assert_int_equal(boot_info_check(info, message, sizeof(message)), -XC_EINVAL);
    assert_non_null(strstr(message, "unusable"));
    assert_true(strlen(message) < 200);
    free(info);
}

/* The message is cut to fit the caller's buffer and always terminated. */
static void test_small_message_buffer(void **state)
{
    (void)state;
    struct xencore_boot_info *info = valid_info();
    info->memmap_entries = 0;
    char message[8];
    memset(message, 'z', sizeof(message));
    assert_int_equal(boot_info_check(info, message, sizeof(message)), -XC_EINVAL);
    assert_int_equal(message[7], '\0');
    assert_int_equal(strlen(message), 7);
    free(info);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_info_passes),
        cmocka_unit_test(test_no_memory_map),
        cmocka_unit_test(test_range_wraps),
        cmocka_unit_test(test_no_ram),
        cmocka_unit_test(test_module_overlaps_image),
        cmocka_unit_test(test_modules_overlap),
        cmocka_unit_test(test_modules_overlap_at_top_of_memory),
        cmocka_unit_test(test_module_wraps),
        cmocka_unit_test(test_module_cmdline_unterminated),
        cmocka_unit_test(test_cmdline_unterminated),
        cmocka_unit_test(test_too_many_modules),
        cmocka_unit_test(test_bad_image_bounds),
        cmocka_unit_test(test_rsdp_length),
        cmocka_unit_test(test_loader_error_reported),
        cmocka_unit_test(test_small_message_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
