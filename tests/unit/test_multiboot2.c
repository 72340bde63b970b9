/* Unit tests of the multiboot2 information parser (boot/multiboot2_parse.c).
 *
 * The structure comes from the boot loader and is the first untrusted input
 * the hypervisor reads, before any exception handler can explain a crash. The
 * tests build synthetic structures byte by byte: a good one must arrive in
 * struct xencore_boot_info field for field, and every kind of malformed one
 * (bad sizes, missing end tag, unterminated or oversized strings, too many
 * entries) must be refused with a sentence naming the problem. The parser is
 * always handed an exactly sized heap copy, so AddressSanitizer catches any
 * read past what it was allowed to read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "le_put.h"

#include "boot/multiboot2.h"

/* ---- Building multiboot2 information ---------------------------------- */

#define BUILD_BYTES 65536

struct mb2_builder {
    uint8_t bytes[BUILD_BYTES];
    size_t length;
};

static struct mb2_builder *mb_begin(void)
{
    struct mb2_builder *b = calloc(1, sizeof(*b));
    assert_non_null(b);
    b->length = MB2_INFO_HEADER_BYTES;
    return b;
}

/* Appends a tag whose size field says @size (normally 8 + @payload_len) with
 * @payload_len bytes of payload, then pads to 8 bytes with zeros. Returns the
 * tag's offset. */
static size_t mb_tag_sized(struct mb2_builder *b, uint32_t type, uint32_t size, const void *payload,
                           size_t payload_len)
{
    size_t off = b->length;
    assert_true(off + MB2_TAG_HEADER_BYTES + payload_len + 8 <= BUILD_BYTES);
    put32(b->bytes + off, type);
    put32(b->bytes + off + 4, size);
    if (payload_len)
        memcpy(b->bytes + off + MB2_TAG_HEADER_BYTES, payload, payload_len);
    b->length = off + MB2_TAG_HEADER_BYTES + payload_len;
    b->length = (b->length + 7) & ~(size_t)7;
    return off;
}

static size_t mb_tag(struct mb2_builder *b, uint32_t type, const void *payload, size_t payload_len)
{
    return mb_tag_sized(b, type, (uint32_t)(MB2_TAG_HEADER_BYTES + payload_len), payload,
                        payload_len);
}

static void mb_string_tag(struct mb2_builder *b, uint32_t type, const char *s)
{
    mb_tag(b, type, s, strlen(s) + 1);
}

struct mmap_entry {
    uint64_t base, length;
    uint32_t type;
};

static void mb_mmap_tag(struct mb2_builder *b, uint32_t entry_size, const struct mmap_entry *e,
                        unsigned int count)
{
    size_t stride = entry_size < 24 ? 24 : entry_size;
    uint8_t *payload = calloc(8 + count * stride, 1);
    assert_non_null(payload);
    put32(payload, entry_size);
    put32(payload + 4, 0);
    for (unsigned int i = 0; i < count; i++) {
        uint8_t *p = payload + 8 + i * stride;
        put64(p, e[i].base);
        put64(p + 8, e[i].length);
        put32(p + 16, e[i].type);
    }
    mb_tag(b, MB2_TAG_MMAP, payload, 8 + count * (size_t)stride);
    free(payload);
}

static void mb_module_tag(struct mb2_builder *b, uint32_t start, uint32_t end, const char *s)
{
    uint8_t payload[512];
    size_t len = strlen(s) + 1;
    assert_true(8 + len <= sizeof(payload));
    put32(payload, start);
    put32(payload + 4, end);
    memcpy(payload + 8, s, len);
    mb_tag(b, MB2_TAG_MODULE, payload, 8 + len);
}

/* Appends the end tag and fills in total_size. */
static void mb_finish(struct mb2_builder *b)
{
    mb_tag(b, MB2_TAG_END, NULL, 0);
    put32(b->bytes, (uint32_t)b->length);
}

/* Without an end tag: total_size covers what was built so far. */
static void mb_finish_without_end(struct mb2_builder *b)
{
    put32(b->bytes, (uint32_t)b->length);
}

/* Parses the first @available bytes from an exactly sized heap copy. */
static int parse_exact(const struct mb2_builder *b, size_t available,
                       struct xencore_boot_info *info)
{
    memset(info, 0, sizeof(*info));
    uint8_t *copy = malloc(available ? available : 1);
    assert_non_null(copy);
    memcpy(copy, b->bytes, available);
    int rc = mb2_parse(copy, available, info);
    free(copy);
    return rc;
}

static struct xencore_boot_info *new_info(void)
{
    struct xencore_boot_info *info = calloc(1, sizeof(*info));
    assert_non_null(info);
    return info;
}

/* Asserts a failed parse whose message names the problem with @key. */
static void assert_refused(const struct mb2_builder *b, size_t available, const char *key)
{
    struct xencore_boot_info *info = new_info();
    int rc = parse_exact(b, available, info);
    if (rc == 0 || !strstr(info->loader_error, key))
        print_error("expected a failure mentioning '%s', got %d: '%s'\n", key, rc,
                    info->loader_error);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(info->loader_error, key));
    free(info);
}

/* ---- A good structure --------------------------------------------------- */

static const struct mmap_entry good_mmap[] = {
    { 0x0, 0x9fc00, 1 },
    { 0x9fc00, 0x400, 2 },
    { 0x100000, 0x7ee0000, 1 },
    { 0xfffc0000, 0x40000, 2 },
    { 0x100000000ULL, 0x40000000ULL, 1 },
};
#define GOOD_MMAP_COUNT (sizeof(good_mmap) / sizeof(good_mmap[0]))

static void fill_rsdp(uint8_t *rsdp, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        rsdp[i] = (uint8_t)(seed + i);
}

/* Everything the reference image gets from GRUB, plus a tag we do not use;
 * @new_acpi_first chooses the order of the two ACPI tags. */
static struct mb2_builder *build_good(int acpi_tags, int new_acpi_first)
{
    uint8_t rsdp_old[20], rsdp_new[36];
    fill_rsdp(rsdp_old, sizeof(rsdp_old), 0x10);
    fill_rsdp(rsdp_new, sizeof(rsdp_new), 0x80);

    struct mb2_builder *b = mb_begin();
    mb_string_tag(b, MB2_TAG_CMDLINE, "console=com1 maxcpus=4");
    mb_string_tag(b, MB2_TAG_LOADER_NAME, "GRUB 2.06");
    uint8_t framebuffer[13] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 };
    mb_tag(b, 8, framebuffer, sizeof(framebuffer)); /* odd size: padding must be skipped */
    mb_module_tag(b, 0x800000, 0x812345, "vmlinuz root=/dev/xvda");
    mb_mmap_tag(b, 24, good_mmap, GOOD_MMAP_COUNT);
    mb_module_tag(b, 0x900000, 0x900100, "manifest");
    if (acpi_tags && new_acpi_first)
        mb_tag(b, MB2_TAG_ACPI_NEW, rsdp_new, sizeof(rsdp_new));
    if (acpi_tags)
        mb_tag(b, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old));
    if (acpi_tags && !new_acpi_first)
        mb_tag(b, MB2_TAG_ACPI_NEW, rsdp_new, sizeof(rsdp_new));
    mb_finish(b);
    return b;
}

static void check_good(const struct xencore_boot_info *info)
{
    assert_string_equal(info->loader_error, "");
    assert_string_equal(info->cmdline, "console=com1 maxcpus=4");
    assert_string_equal(info->loader_name, "GRUB 2.06");
    assert_int_equal(info->memmap_entries, GOOD_MMAP_COUNT);
    for (unsigned int i = 0; i < GOOD_MMAP_COUNT; i++) {
        assert_int_equal(info->memmap[i].base, good_mmap[i].base);
        assert_int_equal(info->memmap[i].length, good_mmap[i].length);
        assert_int_equal(info->memmap[i].type, good_mmap[i].type);
    }
    assert_int_equal(info->module_count, 2);
    assert_int_equal(info->modules[0].base, 0x800000);
    assert_int_equal(info->modules[0].length, 0x12345);
    assert_string_equal(info->modules[0].cmdline, "vmlinuz root=/dev/xvda");
    assert_int_equal(info->modules[1].base, 0x900000);
    assert_int_equal(info->modules[1].length, 0x100);
    assert_string_equal(info->modules[1].cmdline, "manifest");
}

static void test_good_structure(void **state)
{
    (void)state;
    for (int new_first = 0; new_first <= 1; new_first++) {
        struct mb2_builder *b = build_good(1, new_first);
        struct xencore_boot_info *info = new_info();
        assert_int_equal(parse_exact(b, b->length, info), 0);
        check_good(info);
        /* The ACPI 2.0 RSDP wins whichever tag comes first. */
        uint8_t rsdp_new[36];
        fill_rsdp(rsdp_new, sizeof(rsdp_new), 0x80);
        assert_int_equal(info->acpi_rsdp_length, 36);
        assert_memory_equal(info->acpi_rsdp, rsdp_new, 36);
        free(info);
        free(b);
    }
}

static void test_good_structure_old_acpi_only(void **state)
{
    (void)state;
    struct mb2_builder *b = mb_begin();
    uint8_t rsdp_old[20];
    fill_rsdp(rsdp_old, sizeof(rsdp_old), 0x10);
    mb_tag(b, MB2_TAG_ACPI_OLD, rsdp_old, sizeof(rsdp_old));
    mb_mmap_tag(b, 24, good_mmap, 1);
    mb_finish(b);
    struct xencore_boot_info *info = new_info();
    assert_int_equal(parse_exact(b, b->length, info), 0);
    assert_int_equal(info->acpi_rsdp_length, 20);
    assert_memory_equal(info->acpi_rsdp, rsdp_old, 20);
    assert_int_equal(info->memmap_entries, 1);
    assert_int_equal(info->module_count, 0);
    assert_string_equal(info->cmdline, "");
    free(info);
    free(b);
}

static void test_good_structure_without_acpi(void **state)
{
    (void)state;
    struct mb2_builder *b = build_good(0, 0);
    struct xencore_boot_info *info = new_info();
    assert_int_equal(parse_exact(b, b->length, info), 0);
    check_good(info);
    assert_int_equal(info->acpi_rsdp_length, 0);
    free(info);
    free(b);
}

/* Entries larger than 24 bytes (a later spec revision) are stepped over by
 * entry_size, not by 24. */
static void test_mmap_larger_entries(void **state)
{
    (void)state;
    struct mb2_builder *b = mb_begin();
    mb_mmap_tag(b, 32, good_mmap, GOOD_MMAP_COUNT);
    mb_finish(b);
    struct xencore_boot_info *info = new_info();
    assert_int_equal(parse_exact(b, b->length, info), 0);
    assert_int_equal(info->memmap_entries, GOOD_MMAP_COUNT);
    for (unsigned int i = 0; i < GOOD_MMAP_COUNT; i++) {
        assert_int_equal(info->memmap[i].base, good_mmap[i].base);
        assert_int_equal(info->memmap[i].length, good_mmap[i].length);
        assert_int_equal(info->memmap[i].type, good_mmap[i].type);
    }
    free(info);
    free(b);
}

/* The limits themselves are accepted: XENCORE_BOOT_MEMMAP_MAX entries,
 * XENCORE_BOOT_MODULES_MAX modules, a command line of XENCORE_CMDLINE_MAX - 1. */
static void test_limits_accepted(void **state)
{
    (void)state;
    struct mmap_entry entries[XENCORE_BOOT_MEMMAP_MAX];
    for (unsigned int i = 0; i < XENCORE_BOOT_MEMMAP_MAX; i++)
        entries[i] = (struct mmap_entry){ 0x100000ULL * (i + 1), 0x1000, 1 };
    char *line = malloc(XENCORE_CMDLINE_MAX);
    assert_non_null(line);
    memset(line, 'x', XENCORE_CMDLINE_MAX - 1);
    line[XENCORE_CMDLINE_MAX - 1] = '\0';

    struct mb2_builder *b = mb_begin();
    mb_string_tag(b, MB2_TAG_CMDLINE, line);
    mb_mmap_tag(b, 24, entries, XENCORE_BOOT_MEMMAP_MAX);
    for (unsigned int i = 0; i < XENCORE_BOOT_MODULES_MAX; i++)
        mb_module_tag(b, 0x1000000 + i * 0x1000, 0x1000000 + i * 0x1000 + 0x800, "m");
    mb_finish(b);
    struct xencore_boot_info *info = new_info();
    assert_int_equal(parse_exact(b, b->length, info), 0);
    assert_int_equal(info->memmap_entries, XENCORE_BOOT_MEMMAP_MAX);
    assert_int_equal(info->memmap[XENCORE_BOOT_MEMMAP_MAX - 1].base,
                     0x100000ULL * XENCORE_BOOT_MEMMAP_MAX);
    assert_int_equal(info->module_count, XENCORE_BOOT_MODULES_MAX);
    assert_int_equal(info->modules[XENCORE_BOOT_MODULES_MAX - 1].base,
                     0x1000000 + (XENCORE_BOOT_MODULES_MAX - 1) * 0x1000);
    assert_string_equal(info->cmdline, line);
    free(info);
    free(b);
    free(line);
}

/* ---- Malformed structures ------------------------------------------------ */

static void test_no_information(void **state)
{
    (void)state;
    struct xencore_boot_info *info = new_info();
    assert_int_not_equal(mb2_parse(NULL, 4096, info), 0);
    assert_non_null(strstr(info->loader_error, "no multiboot2"));
    free(info);
}

static void test_total_size_larger_than_available(void **state)
{
    (void)state;
    struct mb2_builder *b = build_good(1, 1);
    assert_refused(b, b->length - 1, "claims");
    /* Claims more than the structure the loader could have built. */
    put32(b->bytes, (uint32_t)b->length + 8);
    assert_refused(b, b->length, "claims");
    put32(b->bytes, UINT32_MAX);
    assert_refused(b, b->length, "claims");
    free(b);
}

static void test_total_size_too_small(void **state)
{
    (void)state;
    struct mb2_builder *b = build_good(1, 1);
    for (uint32_t total = 0; total < 16; total++) {
        put32(b->bytes, total);
        assert_refused(b, b->length, "claims");
    }
    free(b);
}

static void test_tag_size_past_the_end(void **state)
{
    (void)state;
    struct mb2_builder *b = mb_begin();
    mb_tag_sized(b, MB2_TAG_CMDLINE, 4000, "abc", 4);
    mb_finish(b);
    assert_refused(b, b->length, "past the end");

    free(b);

    /* One byte too many on the last real tag, the end tag still intact. */
    b = mb_begin();
    size_t off = mb_tag(b, MB2_TAG_LOADER_NAME, "GRUB", 5);
    mb_finish(b);
    put32(b->bytes + off + 4, (uint32_t)(b->length - off + 1));
    assert_refused(b, b->length, "past the end");
    free(b);
}

static void test_tag_size_below_header(void **state)
{
    (void)state;
    for (uint32_t size = 0; size < MB2_TAG_HEADER_BYTES; size++) {
        struct mb2_builder *b = mb_begin();
        mb_tag_sized(b, 42, size, NULL, 0); /* unknown type: only the size matters */
        mb_finish(b);
        char key[32];
        snprintf(key, sizeof(key), "size %u", size);
        assert_refused(b, b->length, key);
        free(b);
    }
}

static void test_missing_end_tag(void **state)
{
    (void)state;
    /* The last tag ends exactly at total_size. */
    struct mb2_builder *b = mb_begin();
    mb_string_tag(b, MB2_TAG_CMDLINE, "quiet");
    mb_mmap_tag(b, 24, good_mmap, 2);
    mb_finish_without_end(b);
    assert_refused(b, b->length, "end tag");
    free(b);

    /* The smallest structure there can be, with one tag we do not use. */
    b = mb_begin();
    mb_tag(b, 42, NULL, 0);
    mb_finish_without_end(b);
    assert_int_equal(b->length, 16);
    assert_refused(b, b->length, "end tag");
    free(b);

    /* A tag whose padding runs past total_size. */
    b = mb_begin();
    mb_tag(b, MB2_TAG_LOADER_NAME, "GRUB", 5); /* 13 bytes, padded to 16 */
    put32(b->bytes, 8 + 13);
    assert_refused(b, 8 + 13, "end tag");
    free(b);
}

static void test_unterminated_strings(void **state)
{
    (void)state;
    /* The byte after the tag is padding and zero: it must not count. */
    struct mb2_builder *b = mb_begin();
    mb_tag(b, MB2_TAG_CMDLINE, "console=com1", 12);
    mb_finish(b);
    assert_refused(b, b->length, "not terminated");
    free(b);

    b = mb_begin();
    mb_tag(b, MB2_TAG_LOADER_NAME, "GRUB", 4);
    mb_finish(b);
    assert_refused(b, b->length, "not terminated");
    free(b);

    b = mb_begin();
    uint8_t module[8 + 3];
    put32(module, 0x100000);
    put32(module + 4, 0x200000);
    memcpy(module + 8, "abc", 3);
    mb_tag(b, MB2_TAG_MODULE, module, sizeof(module));
    mb_finish(b);
    assert_refused(b, b->length, "not terminated");
    free(b);
}

static void test_cmdline_too_long(void **state)
{
    (void)state;
    char *line = malloc(XENCORE_CMDLINE_MAX + 1);
    assert_non_null(line);
    memset(line, 'x', XENCORE_CMDLINE_MAX);
    line[XENCORE_CMDLINE_MAX] = '\0';
    struct mb2_builder *b = mb_begin();
    mb_string_tag(b, MB2_TAG_CMDLINE, line);
    mb_finish(b);
    assert_refused(b, b->length, "longer than");
    free(b);

    /* A module string one byte over its buffer. */
    char module_line[XENCORE_MODULE_CMDLINE_MAX + 1];
    memset(module_line, 'm', XENCORE_MODULE_CMDLINE_MAX);
    module_line[XENCORE_MODULE_CMDLINE_MAX] = '\0';
    b = mb_begin();
    mb_module_tag(b, 0x100000, 0x200000, module_line);
    mb_finish(b);
    assert_refused(b, b->length, "longer than");
    free(b);
    free(line);
}

static void test_mmap_entry_size_too_small(void **state)
{
    (void)state;
    static const uint32_t sizes[] = { 0, 8, 16, 20 };
    for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct mb2_builder *b = mb_begin();
        mb_mmap_tag(b, sizes[i], good_mmap, 2);
        mb_finish(b);
        assert_refused(b, b->length, "entry size");
        free(b);
    }
}

static void test_mmap_too_many_entries(void **state)
{
    (void)state;
    struct mmap_entry entries[XENCORE_BOOT_MEMMAP_MAX + 1];
    for (unsigned int i = 0; i <= XENCORE_BOOT_MEMMAP_MAX; i++)
        entries[i] = (struct mmap_entry){ 0x100000ULL * (i + 1), 0x1000, 1 };
    struct mb2_builder *b = mb_begin();
    mb_mmap_tag(b, 24, entries, XENCORE_BOOT_MEMMAP_MAX + 1);
    mb_finish(b);
    assert_refused(b, b->length, "more than");
    free(b);
}

static void test_too_many_modules(void **state)
{
    (void)state;
    struct mb2_builder *b = mb_begin();
    for (unsigned int i = 0; i <= XENCORE_BOOT_MODULES_MAX; i++)
        mb_module_tag(b, 0x1000000 + i * 0x1000, 0x1000000 + i * 0x1000 + 0x800, "m");
    mb_finish(b);
    assert_refused(b, b->length, "boot modules");
    free(b);
}

static void test_module_ends_before_start(void **state)
{
    (void)state;
    struct mb2_builder *b = mb_begin();
    mb_module_tag(b, 0x200000, 0x1fffff, "backwards");
    mb_finish(b);
    assert_refused(b, b->length, "before it starts");
    free(b);
}

static void test_two_memory_maps(void **state)
{
    (void)state;
    struct mb2_builder *b = mb_begin();
    mb_mmap_tag(b, 24, good_mmap, 2);
    mb_mmap_tag(b, 24, good_mmap + 2, 2);
    mb_finish(b);
    assert_refused(b, b->length, "two memory maps");
    free(b);
}

static void test_truncated_tags(void **state)
{
    (void)state;
    /* A memory map tag too short for its own header. */
    struct mb2_builder *b = mb_begin();
    mb_tag(b, MB2_TAG_MMAP, "\x18\0\0\0", 4);
    mb_finish(b);
    assert_refused(b, b->length, "truncated");
    free(b);

    /* A module tag without room for its string. */
    b = mb_begin();
    uint8_t module[8];
    put32(module, 0x100000);
    put32(module + 4, 0x200000);
    mb_tag(b, MB2_TAG_MODULE, module, sizeof(module));
    mb_finish(b);
    assert_refused(b, b->length, "truncated");
    free(b);

    /* An ACPI 2.0 tag holding only an ACPI 1.0 sized RSDP. */
    b = mb_begin();
    uint8_t rsdp[20] = { 0 };
    mb_tag(b, MB2_TAG_ACPI_NEW, rsdp, sizeof(rsdp));
    mb_finish(b);
    assert_refused(b, b->length, "RSDP");
    free(b);
}

/* Every prefix of a good structure, with total_size as the loader wrote it
 * (so it claims more than may be read) and with total_size rewritten to the
 * prefix length (so the tags themselves are cut): never a crash, never a
 * success. */
static void test_every_truncation_fails(void **state)
{
    (void)state;
    struct mb2_builder *good = build_good(1, 0);
    const size_t total = good->length;
    struct mb2_builder *b = calloc(1, sizeof(*b));
    struct xencore_boot_info *info = new_info();
    assert_non_null(b);

    for (size_t available = 0; available < total; available++) {
        assert_int_not_equal(parse_exact(good, available, info), 0);
        assert_int_not_equal(info->loader_error[0], '\0');

        if (available < MB2_INFO_HEADER_BYTES)
            continue;
        memcpy(b, good, sizeof(*b));
        put32(b->bytes, (uint32_t)available);
        assert_int_not_equal(parse_exact(b, available, info), 0);
        assert_int_not_equal(info->loader_error[0], '\0');
    }
    assert_int_equal(parse_exact(good, total, info), 0);
    free(info);
    free(b);
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_structure),
        cmocka_unit_test(test_good_structure_old_acpi_only),
        cmocka_unit_test(test_good_structure_without_acpi),
        cmocka_unit_test(test_mmap_larger_entries),
        cmocka_unit_test(test_limits_accepted),
        cmocka_unit_test(test_no_information),
        cmocka_unit_test(test_total_size_larger_than_available),
        cmocka_unit_test(test_total_size_too_small),
        cmocka_unit_test(test_tag_size_past_the_end),
        cmocka_unit_test(test_tag_size_below_header),
        cmocka_unit_test(test_missing_end_tag),
        cmocka_unit_test(test_unterminated_strings),
        cmocka_unit_test(test_cmdline_too_long),
        cmocka_unit_test(test_mmap_entry_size_too_small),
        cmocka_unit_test(test_mmap_too_many_entries),
        cmocka_unit_test(test_too_many_modules),
        cmocka_unit_test(test_module_ends_before_start),
        cmocka_unit_test(test_two_memory_maps),
        cmocka_unit_test(test_truncated_tags),
        cmocka_unit_test(test_every_truncation_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
