/* The CMOS real-time clock's date registers and their conversion to Unix
 * time. The conversion is pure, so the host unit tests run it too. */
#ifndef XENCORE_X86_RTC_H
#define XENCORE_X86_RTC_H

#include <stdbool.h>
#include <stdint.h>

/* CMOS register indexes (MC146818 and successors). */
#define RTC_REG_SECONDS 0x00
#define RTC_REG_MINUTES 0x02
#define RTC_REG_HOURS 0x04
#define RTC_REG_DAY_OF_MONTH 0x07
#define RTC_REG_MONTH 0x08
#define RTC_REG_YEAR 0x09
#define RTC_REG_STATUS_A 0x0a
#define RTC_REG_STATUS_B 0x0b
#define RTC_STATUS_A_UPDATE_IN_PROGRESS 0x80
#define RTC_STATUS_B_24_HOUR 0x02 /* else 12-hour with bit 7 of the hour = PM */
#define RTC_STATUS_B_BINARY 0x04  /* else BCD */
#define RTC_HOUR_PM 0x80

/* The date registers as read, raw (BCD or binary, 12 or 24 hours). */
struct rtc_reading {
    uint8_t seconds, minutes, hours, day, month, year;
    uint8_t century;  /* the century register's raw value, if has_century */
    bool has_century; /* else the year is 2000 + year */
    uint8_t status_b; /* RTC_STATUS_B_* */
};

/* Seconds since 1970-01-01 00:00 UTC for @reading (the RTC keeps UTC on the
 * machines we run on). Returns false for a value no clock would show (a bad
 * BCD digit, month 13, 31 April, a year before 1970). */
bool rtc_reading_to_unix(const struct rtc_reading *reading, uint64_t *seconds);

#endif /* XENCORE_X86_RTC_H */
