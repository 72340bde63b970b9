/* The wall clock at boot, from the CMOS real-time clock.
 *
 * Read once, on the boot CPU during platform set-up, after the TSC is
 * calibrated: the guests' wall clock (shared_info wc_*) is this moment minus
 * the system time that had passed, and from then on the TSC keeps time. The
 * RTC updates its registers once a second and they are inconsistent while
 * "update in progress" (status A bit 7) is set, so we wait for it to clear,
 * read every register, and repeat until two readings agree: an update that
 * began in between shows up as a difference. Every wait is bounded; a clock
 * that never settles, or shows a date that cannot be, leaves the wall clock
 * unknown (0) with one line on the console saying so. */
#include "arch/arch.h"
#include "lib/printk.h"
#include "x86/insn.h"
#include "x86/platform.h"
#include "x86/rtc.h"

#define CMOS_PORT_INDEX 0x70
#define CMOS_PORT_DATA 0x71
#define CMOS_INDEX_NMI_DISABLE 0x80 /* bit 7 of the index port masks NMIs; keep it as is */
#define CMOS_INDEX_MASK 0x7f
#define RTC_UPDATE_WAIT_NS 10000000ULL /* an update lasts under 2 ms */
#define RTC_READ_ATTEMPTS 5
#define NS_PER_SEC 1000000000ULL

static uint64_t wallclock_sec;
static uint32_t wallclock_nsec;

static uint8_t cmos_read(uint8_t index)
{
    uint8_t nmi = inb(CMOS_PORT_INDEX) & CMOS_INDEX_NMI_DISABLE;
    outb(CMOS_PORT_INDEX, (uint8_t)(nmi | (index & CMOS_INDEX_MASK)));
    return inb(CMOS_PORT_DATA);
}

static bool wait_no_update(void)
{
    uint64_t deadline = arch_now_ns() + RTC_UPDATE_WAIT_NS;
    while (cmos_read(RTC_REG_STATUS_A) & RTC_STATUS_A_UPDATE_IN_PROGRESS) {
        if (arch_now_ns() > deadline)
            return false;
        arch_cpu_relax();
    }
    return true;
}

static bool read_once(struct rtc_reading *r, uint8_t century_index)
{
    if (!wait_no_update())
        return false;
    *r = (struct rtc_reading){
        .seconds = cmos_read(RTC_REG_SECONDS),
        .minutes = cmos_read(RTC_REG_MINUTES),
        .hours = cmos_read(RTC_REG_HOURS),
        .day = cmos_read(RTC_REG_DAY_OF_MONTH),
        .month = cmos_read(RTC_REG_MONTH),
        .year = cmos_read(RTC_REG_YEAR),
        .status_b = cmos_read(RTC_REG_STATUS_B),
        .has_century = century_index != 0,
    };
    if (century_index)
        r->century = cmos_read(century_index);
    return true;
}

static bool same_reading(const struct rtc_reading *a, const struct rtc_reading *b)
{
    return a->seconds == b->seconds && a->minutes == b->minutes && a->hours == b->hours &&
           a->day == b->day && a->month == b->month && a->year == b->year &&
           a->century == b->century && a->status_b == b->status_b;
}

void cmos_rtc_init(void)
{
    uint8_t century_index = acpi_rtc_century_index();
    if (century_index > CMOS_INDEX_MASK || century_index <= RTC_REG_STATUS_B)
        century_index = 0; /* not a plain CMOS byte: ignore the firmware's claim */

    unsigned long flags = arch_irq_save();
    struct rtc_reading previous, reading;
    bool stable = false, readable = read_once(&previous, century_index);
    uint64_t now_ns = arch_now_ns();
    for (int i = 0; readable && !stable && i < RTC_READ_ATTEMPTS; i++) {
        readable = read_once(&reading, century_index);
        now_ns = arch_now_ns();
        stable = readable && same_reading(&previous, &reading);
        previous = reading;
    }
    arch_irq_restore(flags);

    uint64_t seconds;
    if (!readable || !stable) {
        printk("xencore: CMOS RTC %s: wall clock unknown\n",
               readable ? "never read the same twice" : "stuck in an update");
        return;
    }
    if (!rtc_reading_to_unix(&reading, &seconds)) {
        printk("xencore: CMOS RTC shows an impossible date (%02x-%02x-%02x %02x:%02x:%02x, "
               "status B 0x%02x): wall clock unknown\n",
               reading.year, reading.month, reading.day, reading.hours, reading.minutes,
               reading.seconds, reading.status_b);
        return;
    }
    /* The reading is for now_ns after boot: step back to system time 0. */
    uint64_t reading_ns = seconds * NS_PER_SEC;
    uint64_t at_boot_ns = reading_ns > now_ns ? reading_ns - now_ns : 0;
    wallclock_sec = at_boot_ns / NS_PER_SEC;
    wallclock_nsec = (uint32_t)(at_boot_ns % NS_PER_SEC);
}

void arch_wallclock_at_boot(uint64_t *sec, uint32_t *nsec)
{
    *sec = wallclock_sec;
    *nsec = wallclock_nsec;
}
