/* Unit tests of the RTC date conversion (arch/x86/rtc_time.c).
 *
 * The wall clock every guest reads (shared_info wc_sec) comes from the CMOS
 * clock at boot. Firmware sets it up in BCD or binary, 12- or 24-hour mode,
 * with or without a century register; a wrong decode gives guests a clock
 * that is off by hours or years, and a bad date from a flat battery must
 * give "unknown", never a wrong time. Expected values are the Unix times
 * of the dates (date -u -d ... +%s). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "x86/rtc.h"

#define BCD_24H RTC_STATUS_B_24_HOUR
#define BIN_24H (RTC_STATUS_B_24_HOUR | RTC_STATUS_B_BINARY)
#define BCD_12H 0
#define BIN_12H RTC_STATUS_B_BINARY

static uint64_t convert(struct rtc_reading r)
{
    uint64_t seconds = 0;
    assert_true(rtc_reading_to_unix(&r, &seconds));
    return seconds;
}

static void impossible(struct rtc_reading r)
{
    uint64_t seconds;
    assert_false(rtc_reading_to_unix(&r, &seconds));
}

static void test_bcd_24h(void **state)
{
    (void)state;
    /* 2026-11-27 17:49:18 UTC */
    struct rtc_reading r = {.seconds = 0x18,
                            .minutes = 0x49,
                            .hours = 0x17,
                            .day = 0x27,
                            .month = 0x11,
                            .year = 0x26,
                            .status_b = BCD_24H};
    assert_int_equal(convert(r), 1795801758ULL);
    r.has_century = true;
    r.century = 0x20;
    assert_int_equal(convert(r), 1795801758ULL);
}

static void test_binary_24h(void **state)
{
    (void)state;
    struct rtc_reading r = {.seconds = 18,
                            .minutes = 49,
                            .hours = 17,
                            .day = 27,
                            .month = 11,
                            .year = 26,
                            .status_b = BIN_24H};
    assert_int_equal(convert(r), 1795801758ULL);
}

static void test_12h(void **state)
{
    (void)state;
    /* 5:49:18 PM in BCD and binary. */
    struct rtc_reading r = {.seconds = 0x18,
                            .minutes = 0x49,
                            .hours = 0x85,
                            .day = 0x27,
                            .month = 0x11,
                            .year = 0x26,
                            .status_b = BCD_12H};
    assert_int_equal(convert(r), 1795801758ULL);
    r = (struct rtc_reading){.seconds = 18,
                             .minutes = 49,
                             .hours = 0x80 | 5,
                             .day = 27,
                             .month = 11,
                             .year = 26,
                             .status_b = BIN_12H};
    assert_int_equal(convert(r), 1795801758ULL);
    /* 12 AM is midnight, 12 PM noon: 2000-01-01 00:00 and 12:00. */
    r = (struct rtc_reading){.hours = 0x12, .day = 1, .month = 1, .year = 0, .status_b = BCD_12H};
    assert_int_equal(convert(r), 946684800ULL);
    r.hours = 0x92;
    assert_int_equal(convert(r), 946684800ULL + 12 * 3600);
    r.hours = 0x00; /* hour 0 does not exist on a 12-hour clock */
    impossible(r);
    r.hours = 0x13;
    impossible(r);
}

static void test_leap_years_and_century(void **state)
{
    (void)state;
    /* 2024-02-29 00:00:00 */
    struct rtc_reading r = {.day = 0x29, .month = 0x02, .year = 0x24, .status_b = BCD_24H};
    assert_int_equal(convert(r), 1709164800ULL);
    r.year = 0x23; /* 2023 has no 29 February */
    impossible(r);
    /* 2000 is a leap year (divisible by 400): 2000-02-29. */
    r.year = 0x00;
    assert_int_equal(convert(r), 951782400ULL);
    /* 2100 is not: with the century register saying 21. */
    r.year = 0x00;
    r.has_century = true;
    r.century = 0x21;
    impossible(r);
    /* 1999-12-31 23:59:59 through a century register of 19. */
    r = (struct rtc_reading){.seconds = 0x59,
                             .minutes = 0x59,
                             .hours = 0x23,
                             .day = 0x31,
                             .month = 0x12,
                             .year = 0x99,
                             .century = 0x19,
                             .has_century = true,
                             .status_b = BCD_24H};
    assert_int_equal(convert(r), 946684799ULL);
    /* Before 1970 there is no Unix time to give. */
    r.year = 0x69;
    impossible(r);
}

static void test_garbage_refused(void **state)
{
    (void)state;
    struct rtc_reading good = {.day = 1, .month = 1, .status_b = BCD_24H};
    struct rtc_reading r = good;
    r.seconds = 0x5a; /* not a BCD digit */
    impossible(r);
    r = good;
    r.seconds = 0x60;
    impossible(r);
    r = good;
    r.minutes = 0x60;
    impossible(r);
    r = good;
    r.hours = 0x24;
    impossible(r);
    r = good;
    r.month = 0x13;
    impossible(r);
    r = good;
    r.month = 0;
    impossible(r);
    r = good;
    r.day = 0;
    impossible(r);
    r = good;
    r.month = 0x04;
    r.day = 0x31; /* 31 April */
    impossible(r);
    r = good;
    r.status_b = BIN_24H;
    r.year = 100;
    impossible(r);
    r = good;
    r.has_century = true;
    r.century = 0xff; /* flat battery */
    impossible(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bcd_24h),
        cmocka_unit_test(test_binary_24h),
        cmocka_unit_test(test_12h),
        cmocka_unit_test(test_leap_years_and_century),
        cmocka_unit_test(test_garbage_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
