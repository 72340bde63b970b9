/* Unit tests of the freestanding formatter and number parser
 * (libxencore/lib/format.c, libxencore/lib/string.c).
 *
 * In the hypervisor, xc_vsnprintf is vsnprintf: every console line, panic
 * message and loader_error goes through it, and OEM code linked with
 * libxencore gets it under the C name. So for the conversions it claims to
 * support, its output must match the C library's byte for byte, including
 * the return value and the truncation rules (always terminated, returns the
 * untruncated length). xc_parse_u64 reads numbers from the command line and
 * must refuse anything that is not exactly a number that fits. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/errno.h"
#include "lib/string.h"

static int ours(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int ours(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = xc_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* Formats with ours and the C library's and compares; then formats again
 * into every smaller buffer (exactly sized heap blocks, so ASan sees any
 * write past the end) and checks the truncated output and return value. */
static void check_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void check_format(const char *fmt, ...)
{
    char mine[512], libc[512];
    va_list ap, ap_libc;
    va_start(ap, fmt);
    va_copy(ap_libc, ap);
    memset(mine, 0x7f, sizeof(mine));
    int n_mine = xc_vsnprintf(mine, sizeof(mine), fmt, ap);
    int n_libc = vsnprintf(libc, sizeof(libc), fmt, ap_libc);
    va_end(ap_libc);
    va_end(ap);
    if (n_mine != n_libc || strcmp(mine, libc))
        print_error("format \"%s\": ours \"%s\" (%d), C library \"%s\" (%d)\n", fmt, mine, n_mine,
                    libc, n_libc);
    assert_int_equal(n_mine, n_libc);
    assert_string_equal(mine, libc);
    assert_true(n_libc >= 0 && (size_t)n_libc < sizeof(libc));

    for (size_t size = 0; size <= (size_t)n_libc + 1; size++) {
        char *small = malloc(size ? size : 1);
        assert_non_null(small);
        memset(small, 'Z', size ? size : 1);
        va_start(ap, fmt);
        int n = xc_vsnprintf(small, size, fmt, ap);
        va_end(ap);
        assert_int_equal(n, n_libc); /* the full length, not what fitted */
        if (size == 0) {
            assert_int_equal(small[0], 'Z'); /* nothing written at all */
        } else {
            size_t kept = size - 1 < (size_t)n_libc ? size - 1 : (size_t)n_libc;
            assert_memory_equal(small, libc, kept);
            assert_int_equal(small[kept], '\0');
        }
        free(small);
    }
}

static void test_signed_decimal(void **state)
{
    (void)state;
    check_format("%d", 0);
    check_format("%d", 42);
    check_format("%d", -42);
    check_format("%d", INT_MAX);
    check_format("%d", INT_MIN);
    check_format("%i|%i", -1, 7);
    check_format("%ld", LONG_MIN);
    check_format("%ld", LONG_MAX);
    check_format("%lld", LLONG_MIN);
    check_format("%lld", -1234567890123LL);
    check_format("[%5d] [%-5d] [%05d] [%05d] [%-5d]", 42, 42, 42, -42, -42);
    check_format("[%3d] [%03d] [%1d]", -12345, -12345, -7);
    check_format("[%012lld]", LLONG_MIN + 1);
}

static void test_unsigned_and_hex(void **state)
{
    (void)state;
    check_format("%u", 0U);
    check_format("%u", UINT_MAX);
    check_format("%x %X", 0xdeadbeefU, 0xdeadbeefU);
    check_format("%x", 0U);
    check_format("%lx", ULONG_MAX);
    check_format("%lu", ULONG_MAX);
    check_format("%llx", ULLONG_MAX);
    check_format("%llu", ULLONG_MAX);
    check_format("%llx", 0x123456789abcdefULL);
    check_format("%zu", SIZE_MAX);
    check_format("%zu %zx", (size_t)12345, (size_t)0xabc);
    check_format("[%08x] [%-8x] [%8X] [%016llx]", 0xbeefU, 0xbeefU, 0xbeefU, 0x1234ULL);
    check_format("%x", (unsigned int)-1);
}

static void test_strings(void **state)
{
    (void)state;
    check_format("%s", "");
    check_format("%s", "hello, world");
    check_format("%.3s", "abcdef");
    check_format("%.3s", "ab");
    check_format("%.0s|", "abc");
    check_format("%.*s", 2, "abcdef");
    check_format("%.*s", 10, "abc");
    check_format("%.*s", 0, "abc");
    check_format("%.*s|%.*s", -1, "abc", -5, "de"); /* negative: as if there were none */
    check_format("[%8s] [%-8s] [%2s]", "abc", "abc", "abcdef");
    check_format("[%-6.2s] [%6.4s]", "abcdef", "abcdef");
    check_format("%c%c%c", 'x', 'y', 'z');
    check_format("100%% %s", "sure");
    check_format("no conversions at all");
    check_format("%s=%d (%s)", "maxcpus", 4096, "limit");
}

/* %.Ns reads at most N bytes: a string with no terminator after N is fine. */
static void test_precision_does_not_read_past(void **state)
{
    (void)state;
    char *raw = malloc(4);
    assert_non_null(raw);
    memcpy(raw, "APIC", 4); /* an ACPI signature: four bytes, no NUL */
    char buf[16];
    assert_int_equal(ours(buf, sizeof(buf), "'%.4s'", raw), 6);
    assert_string_equal(buf, "'APIC'");
    assert_int_equal(ours(buf, sizeof(buf), "'%.*s'", 3, raw), 5);
    assert_string_equal(buf, "'API'");
    free(raw);
}

/* Behaviour without a C library counterpart to compare with. */
static void test_ours_only(void **state)
{
    (void)state;
    char buf[64];
    const char *volatile null_string = NULL;
    assert_int_equal(ours(buf, sizeof(buf), "%s", null_string), 6);
    assert_string_equal(buf, "(null)");
    /* Size 0 with no buffer: only the length. */
    assert_int_equal(ours(NULL, 0, "%d-%s", -5, "abc"), 6);
    /* %p: 0x and 16 hex digits. */
    assert_int_equal(ours(buf, sizeof(buf), "%p", (void *)(uintptr_t)0xfee00000U), 18);
    assert_string_equal(buf, "0x00000000fee00000");
}

static void test_parse_u64_accepts(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned long long value;
    } good[] = {
        { "0", 0 },
        { "7", 7 },
        { "4096", 4096 },
        { "000123", 123 },
        { "18446744073709551615", ULLONG_MAX },
        { "0x0", 0 },
        { "0x1f", 0x1f },
        { "0XAbCd", 0xabcd },
        { "0xffffffffffffffff", ULLONG_MAX },
        { "0x00000000000000000001", 1 },
    };
    for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        size_t len = strlen(good[i].text);
        char *exact = malloc(len); /* no terminator: the length is all it may read */
        assert_non_null(exact);
        memcpy(exact, good[i].text, len);
        unsigned long long v = 0xbad;
        int rc = xc_parse_u64(exact, len, &v);
        if (rc || v != good[i].value)
            print_error("\"%s\": rc %d value %llu\n", good[i].text, rc, v);
        assert_int_equal(rc, 0);
        assert_int_equal(v, good[i].value);
        free(exact);
    }
    /* Only [s, s + len) counts. */
    unsigned long long v = 0;
    assert_int_equal(xc_parse_u64("123abc", 3, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(xc_parse_u64("0x10 junk", 4, &v), 0);
    assert_int_equal(v, 16);
}

static void test_parse_u64_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "0x",
        "x10",
        "-1",
        "+1",
        " 1",
        "1 ",
        "12a",
        "abc",
        "0xg",
        "0x1g",
        "1.5",
        "18446744073709551616", /* 2^64 */
        "99999999999999999999",
        "0x10000000000000000", /* 2^64 */
        "0x1ffffffffffffffff",
    };
    for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned long long v = 0xbad;
        int rc = xc_parse_u64(bad[i], strlen(bad[i]), &v);
        if (rc != -XC_EINVAL)
            print_error("\"%s\" accepted as %llu\n", bad[i], v);
        assert_int_equal(rc, -XC_EINVAL);
        assert_int_equal(v, 0xbad); /* not written on failure */
    }
}

static void test_strlcpy(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(xc_strlcpy(buf, "hello, world", sizeof(buf)), 12);
    assert_string_equal(buf, "hello, ");
    assert_int_equal(xc_strlcpy(buf, "hi", sizeof(buf)), 2);
    assert_string_equal(buf, "hi");
    buf[0] = 'Z';
    assert_int_equal(xc_strlcpy(buf, "hi", 0), 2);
    assert_int_equal(buf[0], 'Z');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_decimal),
        cmocka_unit_test(test_unsigned_and_hex),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_precision_does_not_read_past),
        cmocka_unit_test(test_ours_only),
        cmocka_unit_test(test_parse_u64_accepts),
        cmocka_unit_test(test_parse_u64_rejects),
        cmocka_unit_test(test_strlcpy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
