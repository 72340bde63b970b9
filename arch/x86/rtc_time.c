/* The RTC's date registers to Unix time.
 *
 * The registers hold BCD or binary (status B bit 2), a 24-hour or 12-hour
 * hour (status B bit 1; in 12-hour mode bit 7 of the hour means PM and the
 * hours run 12, 1, ..., 11), and a two-digit year; the century is in a CMOS
 * register only if the FADT names one, else we take the 2000s. Every field
 * is range-checked after decoding: the clock is outside our control and an
 * impossible date must give "unknown", not a wrong time. The day count uses
 * the Gregorian leap rule. */
#include "x86/rtc.h"

#define SECONDS_PER_MINUTE 60ULL
#define SECONDS_PER_HOUR 3600ULL
#define SECONDS_PER_DAY 86400ULL
#define UNIX_EPOCH_YEAR 1970U
#define DEFAULT_CENTURY 20U
#define HOURS_PER_HALF_DAY 12U
#define MONTHS 12U

static bool is_leap(unsigned int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static unsigned int days_in_month(unsigned int year, unsigned int month)
{
    static const uint8_t days[MONTHS] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[month - 1] + (month == 2 && is_leap(year) ? 1 : 0);
}

/* A BCD byte to its value; false if a digit is above 9. */
static bool from_bcd(uint8_t bcd, unsigned int *value)
{
    unsigned int high = bcd >> 4, low = bcd & 0xf;
    if (high > 9 || low > 9)
        return false;
    *value = high * 10 + low;
    return true;
}

static bool decode(uint8_t raw, bool binary, unsigned int *value)
{
    if (binary) {
        *value = raw;
        return true;
    }
    return from_bcd(raw, value);
}

bool rtc_reading_to_unix(const struct rtc_reading *r, uint64_t *seconds)
{
    bool binary = (r->status_b & RTC_STATUS_B_BINARY) != 0;
    bool pm = !(r->status_b & RTC_STATUS_B_24_HOUR) && (r->hours & RTC_HOUR_PM);
    uint8_t raw_hours =
        (r->status_b & RTC_STATUS_B_24_HOUR) ? r->hours : (uint8_t)(r->hours & ~RTC_HOUR_PM);
    unsigned int second, minute, hour, day, month, year, century = DEFAULT_CENTURY;
    if (!decode(r->seconds, binary, &second) || !decode(r->minutes, binary, &minute) ||
        !decode(raw_hours, binary, &hour) || !decode(r->day, binary, &day) ||
        !decode(r->month, binary, &month) || !decode(r->year, binary, &year) ||
        (r->has_century && !decode(r->century, binary, &century)))
        return false;

    if (!(r->status_b & RTC_STATUS_B_24_HOUR)) {
        if (hour < 1 || hour > HOURS_PER_HALF_DAY)
            return false;
        hour %= HOURS_PER_HALF_DAY; /* 12 AM is 0, 12 PM is 12 */
        if (pm)
            hour += HOURS_PER_HALF_DAY;
    }
    if (second > 59 || minute > 59 || hour > 23 || year > 99 || month < 1 || month > MONTHS)
        return false;
    unsigned int full_year = century * 100 + year;
    if (full_year < UNIX_EPOCH_YEAR || day < 1 || day > days_in_month(full_year, month))
        return false;

    uint64_t days = 0;
    for (unsigned int y = UNIX_EPOCH_YEAR; y < full_year; y++)
        days += is_leap(y) ? 366 : 365;
    for (unsigned int m = 1; m < month; m++)
        days += days_in_month(full_year, m);
    days += day - 1;
    *seconds =
        days * SECONDS_PER_DAY + hour * SECONDS_PER_HOUR + minute * SECONDS_PER_MINUTE + second;
    return true;
}
