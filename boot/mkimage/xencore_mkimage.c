/* xencore-mkimage: makes a bootable GRUB2 ISO of the hypervisor plus the
 * domains it starts.
 *
 * Everything is checked before anything is written: each --domain spec, each
 * kernel (an ELF with Xen's PHYS32_ENTRY note), the manifest fields, the
 * hypervisor image. A bad input ends the tool with status 2, a message that
 * names the option and the key, and no output file. Then the tool lays out a
 * temporary tree
 *
 *     boot/xencore.elf  boot/manifest  boot/<kernel>...  boot/grub/grub.cfg
 *
 * and runs grub-mkrescue on it. The ISO is written under a temporary name
 * and renamed at the end, so a failed run never leaves a half image behind.
 * Each distinct kernel file is copied once; its boot-module string is its
 * (made unique) file name, and the manifest records refer to it by that.
 *
 * --pool options describe CPU pools the hypervisor makes at boot, before the
 * domains; --boot-options reach the hypervisor's command line word for word
 * (sched=credit picks Pool-0's scheduler there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xencore/abi/manifest.h>
#include <xenlight/manifest.h>

#include "mkimage_args.h"

#define TOOL "xencore-mkimage"
#define EXIT_USAGE 2  /* bad input: nothing written */
#define EXIT_FAILED 1 /* the environment failed us: grub-mkrescue, disk */
#define MAX_DOMAINS XENCORE_MANIFEST_MAX_DOMAINS
#define MAX_POOLS XENCORE_MANIFEST_MAX_POOLS
#define MODULE_NAME_MAX 63
/* Room for a "-NN" suffix when two kernels share a file name. */
#define MODULE_STEM_MAX (MODULE_NAME_MAX - 4)

static const char usage_text[] =
    "Usage: " TOOL " -o OUT.iso [--hypervisor PATH] [--boot-options \"WORDS\"]\n"
    "                       [--pool KEY=VALUE,...]...\n"
    "                       --domain KEY=VALUE,... [--domain KEY=VALUE,...]...\n"
    "\n"
    "Makes a bootable GRUB2 ISO image: the xencore hypervisor, a boot manifest and\n"
    "the kernels of the domains it starts at boot.\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT.iso    the image to write (replaced if it exists)\n"
    "  --hypervisor PATH       the hypervisor ELF (default: xencore.elf next to this\n"
    "                          tool, or ../lib/xencore/xencore.elf from it)\n"
    "  --boot-options \"WORDS\"  the hypervisor's command line, e.g. \"poweroff\";\n"
    "                          sched=credit|credit2|null picks Pool-0's scheduler\n"
    "                          (default credit2)\n"
    "  --pool SPEC             a CPU pool made at boot from CPUs of Pool-0; once per\n"
    "                          pool (at most 63)\n"
    "  --domain SPEC           one domain; give it once per domain (1 to 64)\n"
    "  -h, --help              show this text\n"
    "\n"
    "A SPEC is KEY=VALUE pairs separated by commas. A value holding commas or\n"
    "blanks goes in double quotes: cmdline=\"console=hvc0 a,b\", cpus=\"0-3,^2\".\n"
    "\n"
    "--domain keys:\n"
    "  name=NAME       required; 1-63 characters of A-Z a-z 0-9 _ . - ; unique\n"
    "  kernel=PATH     required; a PVH kernel: an ELF with a Xen PHYS32_ENTRY note\n"
    "  memory=SIZE     guest RAM: a number of MiB, or with a K, M or G suffix;\n"
    "                  a multiple of 4 KiB, at least 1 MiB (default 32M)\n"
    "  vcpus=N         1 to 128 (default 1)\n"
    "  cmdline=TEXT    the kernel command line, at most 1023 bytes\n"
    "  weight=N        credit/credit2 share, 1 to 65535 (default 256)\n"
    "  cap=PERCENT     most CPU time, in percent of one CPU, up to 100 x vcpus\n"
    "                  (default 0: no cap)\n"
    "  pool=NAME       the CPU pool it runs in: a --pool name or Pool-0 (default)\n"
    "  cpus=LIST       hard affinity: the CPUs its vCPUs may run on (default all)\n"
    "  cpus_soft=LIST  soft affinity: the CPUs its vCPUs prefer (default none)\n"
    "\n"
    "--pool keys:\n"
    "  name=NAME       required; like a domain name, not Pool-0; unique\n"
    "  sched=SCHED     credit, credit2 or null (default: the scheduler of Pool-0)\n"
    "  cpus=LIST       required; the CPUs it takes from Pool-0, in no other pool\n"
    "\n"
    "A LIST is in Xen's syntax: items separated by commas, applied from left to\n"
    "right to an empty set: N adds CPU N, N-M adds N to M, ^N and ^N-M remove,\n"
    "all adds every CPU. \"0-3,^2\" is 0,1,3; \"all,^0\" is every CPU but 0.\n"
    "CPU numbers are below the hypervisor's limit (%u); the hypervisor refuses at\n"
    "boot a pool or domain naming a CPU that is not online.\n"
    "\n"
    "Example:\n"
    "  " TOOL " -o web.iso --boot-options \"poweroff sched=credit2\" \\\n"
    "      --pool name=rt,sched=credit,cpus=2-3 \\\n"
    "      --domain 'name=web,kernel=vmlinux,memory=512M,vcpus=2,cmdline=\"console=hvc0\"' \\\n"
    "      --domain 'name=ctl,kernel=vmlinux,pool=rt,weight=512,cap=50,cpus=2'\n"
    "\n"
    "Exit status: 0 image written; 2 bad arguments or input files (nothing written);\n"
    "1 the image could not be made (grub-mkrescue or the file system failed).\n";

/* A kernel file, copied into the image once however many domains use it. */
struct kernel_file {
    char path[MKIMAGE_PATH_BYTES];
    dev_t device;
    ino_t inode;
    char module[MODULE_NAME_MAX + 1]; /* file name in /boot and boot-module string */
};

struct mkimage {
    const char *output;
    const char *hypervisor;
    const char *boot_options;
    const char *domain_specs[MAX_DOMAINS];
    unsigned int domain_count;
    const char *pool_specs[MAX_POOLS];
    unsigned int pool_count;
    struct mkimage_pool pools[MAX_POOLS];
    struct mkimage_domain domains[MAX_DOMAINS];
    unsigned int domain_kernel[MAX_DOMAINS]; /* index into kernels[] */
    struct kernel_file kernels[MAX_DOMAINS];
    unsigned int kernel_count;
    char default_hypervisor[PATH_MAX];
    char tree[PATH_MAX];           /* the temporary tree, "" until made */
    char partial_output[PATH_MAX]; /* the ISO under its temporary name, "" until made */
};

static struct mkimage *cleanup_state;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static void remove_temporaries(void)
{
    struct mkimage *s = cleanup_state;
    if (s == NULL) {
        return;
    }
    if (s->partial_output[0] != '\0') {
        unlink(s->partial_output);
        s->partial_output[0] = '\0';
    }
    if (s->tree[0] != '\0') {
        nftw(s->tree, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        s->tree[0] = '\0';
    }
}

static _Noreturn void die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static _Noreturn void die(int status, const char *fmt, ...)
{
    va_list ap;
    fputs(TOOL ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    remove_temporaries();
    exit(status);
}

/* ---- Reading and writing files --------------------------------------------- */

/* Reads a whole file; NULL with errno set on failure. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        fclose(f);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return NULL;
    }
    size_t length = (size_t)st.st_size;
    uint8_t *bytes = malloc(length > 0 ? length : 1);
    if (bytes == NULL) {
        fclose(f);
        errno = ENOMEM;
        return NULL;
    }
    if (fread(bytes, 1, length, f) != length) {
        int saved = ferror(f) ? errno : EIO;
        free(bytes);
        fclose(f);
        errno = saved;
        return NULL;
    }
    fclose(f);
    *size = length;
    return bytes;
}

static void write_file(const char *path, const void *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        die(EXIT_FAILED, "cannot create '%s': %s", path, strerror(errno));
    }
    bool written = fwrite(bytes, 1, size, f) == size;
    int saved = errno;
    if (fclose(f) != 0 && written) {
        written = false;
        saved = errno;
    }
    if (!written) {
        die(EXIT_FAILED, "cannot write '%s': %s", path, strerror(saved));
    }
}

static void copy_file(const char *from, const char *to)
{
    size_t size;
    uint8_t *bytes = read_file(from, &size);
    if (bytes == NULL) {
        die(EXIT_FAILED, "cannot read '%s': %s", from, strerror(errno));
    }
    write_file(to, bytes, size);
    free(bytes);
}

static void path_join(char *out, size_t out_size, const char *dir, const char *name)
{
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= out_size) {
        die(EXIT_FAILED, "path too long: '%s/%s'", dir, name);
    }
}

/* ---- Arguments ----------------------------------------------------------------- */

/* Matches "--name VALUE" and "--name=VALUE"; returns the value or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *long_name,
                                const char *short_name)
{
    const char *arg = argv[*i];
    size_t long_length = strlen(long_name);
    if (strncmp(arg, long_name, long_length) == 0 && arg[long_length] == '=') {
        return arg + long_length + 1;
    }
    if (strcmp(arg, long_name) != 0 && (short_name == NULL || strcmp(arg, short_name) != 0)) {
        return NULL;
    }
    if (*i + 1 >= argc) {
        die(EXIT_USAGE, "%s needs a value (see --help)", arg);
    }
    (*i)++;
    return argv[*i];
}

static void parse_arguments(struct mkimage *s, int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, usage_text, mkimage_max_cpus());
        exit(EXIT_USAGE);
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            printf(usage_text, mkimage_max_cpus());
            exit(0);
        } else if ((value = option_value(argc, argv, &i, "--output", "-o")) != NULL) {
            s->output = value;
        } else if ((value = option_value(argc, argv, &i, "--hypervisor", NULL)) != NULL) {
            s->hypervisor = value;
        } else if ((value = option_value(argc, argv, &i, "--boot-options", NULL)) != NULL) {
            s->boot_options = value;
        } else if ((value = option_value(argc, argv, &i, "--domain", NULL)) != NULL) {
            if (s->domain_count >= MAX_DOMAINS) {
                die(EXIT_USAGE, "at most %u --domain options", MAX_DOMAINS);
            }
            s->domain_specs[s->domain_count++] = value;
        } else if ((value = option_value(argc, argv, &i, "--pool", NULL)) != NULL) {
            if (s->pool_count >= MAX_POOLS) {
                die(EXIT_USAGE, "at most %u --pool options", MAX_POOLS);
            }
            s->pool_specs[s->pool_count++] = value;
        } else {
            die(EXIT_USAGE, "unknown argument '%s' (see --help)", arg);
        }
    }
    if (s->output == NULL || s->output[0] == '\0') {
        die(EXIT_USAGE, "-o OUT.iso is required (see --help)");
    }
    if (s->domain_count == 0) {
        die(EXIT_USAGE, "at least one --domain is required (see --help)");
    }
}

/* A kernel's file name, made safe for grub.cfg and unique within the image. */
static void choose_module_name(struct mkimage *s, struct kernel_file *k)
{
    const char *base = strrchr(k->path, '/');
    base = base != NULL ? base + 1 : k->path;
    char stem[MODULE_STEM_MAX + 1];
    size_t length = 0;
    for (; length < MODULE_STEM_MAX && base[length] != '\0'; length++) {
        char c = base[length];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '.' || c == '-' || c == '+';
        stem[length] = plain ? c : '_';
    }
    stem[length] = '\0';
    if (length == 0 || strcmp(stem, ".") == 0 || strcmp(stem, "..") == 0) {
        strcpy(stem, "kernel");
    }
    for (unsigned int attempt = 1;; attempt++) {
        if (attempt == 1) {
            snprintf(k->module, sizeof(k->module), "%s", stem);
        } else {
            /* "vmlinux-2", "guest-2.elf": the suffix goes before an extension. */
            const char *dot = strrchr(stem, '.');
            int base_length = dot != NULL && dot != stem ? (int)(dot - stem) : (int)length;
            snprintf(k->module, sizeof(k->module), "%.*s-%u%s", base_length, stem, attempt,
                     stem + base_length);
        }
        /* Names the tree already uses, and the manifest's own string. */
        bool taken = strcmp(k->module, "grub") == 0 || strcmp(k->module, "manifest") == 0 ||
                     strcmp(k->module, "xencore.elf") == 0 ||
                     strcmp(k->module, XENCORE_MANIFEST_MODULE_NAME) == 0;
        for (unsigned int j = 0; j < s->kernel_count && !taken; j++) {
            taken = strcmp(s->kernels[j].module, k->module) == 0;
        }
        if (!taken) {
            return;
        }
    }
}

/* Parses and checks every --pool; fills the manifest. Exits on the first error. */
static void check_pools(struct mkimage *s, struct xl_manifest *manifest)
{
    char error[MKIMAGE_ERROR_BYTES];
    for (unsigned int i = 0; i < s->pool_count; i++) {
        struct mkimage_pool *p = &s->pools[i];
        unsigned int number = i + 1;
        if (mkimage_parse_pool(s->pool_specs[i], p, error, sizeof(error)) != 0) {
            die(EXIT_USAGE, "--pool %u: %s", number, error);
        }
        struct xl_manifest_pool record = {
            .name = p->name,
            .scheduler = p->scheduler,
            .cpus = &p->cpus,
        };
        if (xl_manifest_add_pool(manifest, &record) != XL_MANIFEST_OK) {
            die(EXIT_USAGE, "--pool %u: %s", number, xl_manifest_error(manifest));
        }
    }
}

/* Parses and checks every --domain; fills the manifest. Exits on the first error. */
static void check_domains(struct mkimage *s, struct xl_manifest *manifest)
{
    char error[MKIMAGE_ERROR_BYTES];
    for (unsigned int i = 0; i < s->domain_count; i++) {
        struct mkimage_domain *d = &s->domains[i];
        unsigned int number = i + 1;
        if (mkimage_parse_domain(s->domain_specs[i], d, error, sizeof(error)) != 0) {
            die(EXIT_USAGE, "--domain %u: %s", number, error);
        }
        if (d->pool[0] != '\0' && strcmp(d->pool, XL_MANIFEST_BOOT_POOL) != 0) {
            bool described = false;
            for (unsigned int p = 0; p < s->pool_count && !described; p++) {
                described = strcmp(s->pools[p].name, d->pool) == 0;
            }
            if (!described) {
                die(EXIT_USAGE,
                    "--domain %u: 'pool' '%s' is not described by any --pool (nor is "
                    "it Pool-0)",
                    number, d->pool);
            }
        }

        struct stat st;
        if (stat(d->kernel, &st) != 0) {
            die(EXIT_USAGE, "--domain %u: 'kernel' '%s' cannot be read: %s", number, d->kernel,
                strerror(errno));
        }
        unsigned int k = 0;
        while (k < s->kernel_count &&
               !(s->kernels[k].device == st.st_dev && s->kernels[k].inode == st.st_ino)) {
            k++;
        }
        if (k == s->kernel_count) {
            size_t size;
            uint8_t *image = read_file(d->kernel, &size);
            if (image == NULL) {
                die(EXIT_USAGE, "--domain %u: 'kernel' '%s' cannot be read: %s", number, d->kernel,
                    strerror(errno));
            }
            uint32_t entry;
            int rc = mkimage_check_pvh_kernel(image, size, d->kernel, &entry, error, sizeof(error));
            free(image);
            if (rc != 0) {
                die(EXIT_USAGE, "--domain %u: %s", number, error);
            }
            struct kernel_file *kf = &s->kernels[k];
            snprintf(kf->path, sizeof(kf->path), "%s", d->kernel);
            kf->device = st.st_dev;
            kf->inode = st.st_ino;
            choose_module_name(s, kf);
            s->kernel_count++;
        }
        s->domain_kernel[i] = k;

        struct xl_manifest_domain record = {
            .name = d->name,
            .uuid = NULL,
            .memory_kib = d->memory_kib,
            .vcpus = d->vcpus,
            .kernel_module = s->kernels[k].module,
            .cmdline = d->cmdline,
            .weight = d->weight,
            .cap = d->cap,
            .pool = d->pool,
            .cpus = d->has_cpus ? &d->cpus : NULL,
            .cpus_soft = d->has_cpus_soft ? &d->cpus_soft : NULL,
        };
        if (xl_manifest_add_domain(manifest, &record) != XL_MANIFEST_OK) {
            die(EXIT_USAGE, "--domain %u: %s", number, xl_manifest_error(manifest));
        }
    }
}

/* ---- The hypervisor image -------------------------------------------------- */

/* The default: next to this tool (build tree: both in <build>/boot), else
 * ../lib/xencore/xencore.elf from it (installed: <prefix>/bin). */
static const char *find_default_hypervisor(struct mkimage *s)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        die(EXIT_USAGE,
            "cannot find this tool's own location (/proc/self/exe: %s); "
            "give --hypervisor PATH",
            strerror(errno));
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    char beside[PATH_MAX];
    path_join(beside, sizeof(beside), self, "xencore.elf");
    if (access(beside, R_OK) == 0) {
        snprintf(s->default_hypervisor, sizeof(s->default_hypervisor), "%s", beside);
        return s->default_hypervisor;
    }
    char installed[PATH_MAX];
    path_join(installed, sizeof(installed), self, "../lib/xencore/xencore.elf");
    if (access(installed, R_OK) == 0) {
        snprintf(s->default_hypervisor, sizeof(s->default_hypervisor), "%s", installed);
        return s->default_hypervisor;
    }
    die(EXIT_USAGE, "no hypervisor image: neither '%s' nor '%s' exists; give --hypervisor PATH",
        beside, installed);
}

static void check_hypervisor(const char *path)
{
    unsigned char magic[4];
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        die(EXIT_USAGE, "--hypervisor '%s' cannot be read: %s", path, strerror(errno));
    }
    size_t got = fread(magic, 1, sizeof(magic), f);
    fclose(f);
    if (got != sizeof(magic) || memcmp(magic, "\177ELF", 4) != 0) {
        die(EXIT_USAGE, "--hypervisor '%s' is not an ELF file (expected xencore.elf)", path);
    }
}

/* ---- grub.cfg ------------------------------------------------------------------- */

static bool grub_word_is_plain(const char *word, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        char c = word[i];
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     strchr("_.,:=/+-@%", c) != NULL;
        if (!plain) {
            return false;
        }
    }
    return true;
}

/* The boot options as GRUB script words: plain words as they are, others in
 * single quotes (GRUB removes them, as a shell does). With @cfg NULL it only
 * checks them. */
static void append_boot_options(FILE *cfg, const char *options)
{
    const char *p = options;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        size_t length = strcspn(p, " \t");
        for (size_t i = 0; i < length; i++) {
            if (p[i] == '\'' || (unsigned char)p[i] < ' ' || p[i] == 0x7f) {
                die(EXIT_USAGE,
                    "--boot-options: '%.*s' holds a single quote or a control "
                    "character, which GRUB cannot pass on",
                    (int)length, p);
            }
        }
        if (cfg == NULL) {
            /* only checking */
        } else if (grub_word_is_plain(p, length)) {
            fprintf(cfg, " %.*s", (int)length, p);
        } else {
            fprintf(cfg, " '%.*s'", (int)length, p);
        }
        p += length;
    }
}

static void write_grub_cfg(struct mkimage *s, const char *path)
{
    FILE *cfg = fopen(path, "w");
    if (cfg == NULL) {
        die(EXIT_FAILED, "cannot create '%s': %s", path, strerror(errno));
    }
    fprintf(cfg, "set timeout=0\nset default=0\nmenuentry \"xencore\" {\n");
    fprintf(cfg, "    multiboot2 /boot/xencore.elf");
    if (s->boot_options != NULL) {
        append_boot_options(cfg, s->boot_options);
    }
    fprintf(cfg, "\n    module2 /boot/manifest %s\n", XENCORE_MANIFEST_MODULE_NAME);
    for (unsigned int k = 0; k < s->kernel_count; k++) {
        fprintf(cfg, "    module2 /boot/%s %s\n", s->kernels[k].module, s->kernels[k].module);
    }
    fprintf(cfg, "    boot\n}\n");
    if (fclose(cfg) != 0) {
        die(EXIT_FAILED, "cannot write '%s': %s", path, strerror(errno));
    }
}

/* ---- grub-mkrescue ---------------------------------------------------------- */

static bool find_in_path(const char *program, char *out, size_t out_size)
{
    const char *path = getenv("PATH");
    if (path == NULL || path[0] == '\0') {
        path = "/usr/local/bin:/usr/bin:/bin";
    }
    while (*path != '\0') {
        size_t length = strcspn(path, ":");
        int n = length == 0 ? snprintf(out, out_size, "./%s", program)
                            : snprintf(out, out_size, "%.*s/%s", (int)length, path, program);
        if (n > 0 && (size_t)n < out_size && access(out, X_OK) == 0) {
            return true;
        }
        path += length;
        if (*path == ':') {
            path++;
        }
    }
    return false;
}

static void run_grub_mkrescue(struct mkimage *s)
{
    char program[PATH_MAX];
    if (!find_in_path("grub-mkrescue", program, sizeof(program))) {
        die(EXIT_FAILED, "grub-mkrescue is not in PATH: install GRUB2's tools "
                         "(Debian: grub-common grub-pc-bin xorriso mtools)");
    }
    int n = snprintf(s->partial_output, sizeof(s->partial_output), "%s.partial-%ld", s->output,
                     (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(s->partial_output)) {
        s->partial_output[0] = '\0';
        die(EXIT_USAGE, "-o '%s': path too long", s->output);
    }
    fflush(NULL);
    pid_t child = fork();
    if (child < 0) {
        die(EXIT_FAILED, "cannot start grub-mkrescue: %s", strerror(errno));
    }
    if (child == 0) {
        char *args[] = {program, "--quiet", "-o", s->partial_output, s->tree, NULL};
        execv(program, args);
        fprintf(stderr, TOOL ": cannot run '%s': %s\n", program, strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            die(EXIT_FAILED, "waiting for grub-mkrescue: %s", strerror(errno));
        }
    }
    if (WIFSIGNALED(status)) {
        die(EXIT_FAILED, "grub-mkrescue was killed by signal %d", WTERMSIG(status));
    }
    if (WEXITSTATUS(status) != 0) {
        die(EXIT_FAILED,
            "grub-mkrescue failed with exit status %d (its messages are above); "
            "it needs xorriso and mtools, and grub-pc-bin or grub-efi-amd64-bin",
            WEXITSTATUS(status));
    }
    struct stat st;
    if (stat(s->partial_output, &st) != 0 || st.st_size == 0) {
        die(EXIT_FAILED, "grub-mkrescue reported success but wrote no image");
    }
    if (rename(s->partial_output, s->output) != 0) {
        die(EXIT_FAILED, "cannot rename '%s' to '%s': %s", s->partial_output, s->output,
            strerror(errno));
    }
    s->partial_output[0] = '\0';
}

static void check_output_directory(const char *output)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", output);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        die(EXIT_USAGE, "-o '%s': the directory '%s' does not exist", output, dir);
    }
    if (access(dir, W_OK) != 0) {
        die(EXIT_USAGE, "-o '%s': cannot write in '%s': %s", output, dir, strerror(errno));
    }
}

/* ---- main --------------------------------------------------------------------------- */

static void make_tree(struct mkimage *s, struct xl_manifest *manifest)
{
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0') {
        tmp = "/tmp";
    }
    char pattern[PATH_MAX];
    path_join(pattern, sizeof(pattern), tmp, "xencore-mkimage.XXXXXX");
    if (mkdtemp(pattern) == NULL) {
        die(EXIT_FAILED, "cannot make a temporary directory in '%s': %s", tmp, strerror(errno));
    }
    snprintf(s->tree, sizeof(s->tree), "%s", pattern);

    char boot[PATH_MAX], grub[PATH_MAX], file[PATH_MAX];
    path_join(boot, sizeof(boot), s->tree, "boot");
    path_join(grub, sizeof(grub), boot, "grub");
    if (mkdir(boot, 0755) != 0 || mkdir(grub, 0755) != 0) {
        die(EXIT_FAILED, "cannot make '%s': %s", grub, strerror(errno));
    }
    path_join(file, sizeof(file), boot, "xencore.elf");
    copy_file(s->hypervisor, file);
    path_join(file, sizeof(file), boot, "manifest");
    if (xl_manifest_write_file(manifest, file) != XL_MANIFEST_OK) {
        die(EXIT_FAILED, "%s", xl_manifest_error(manifest));
    }
    for (unsigned int k = 0; k < s->kernel_count; k++) {
        path_join(file, sizeof(file), boot, s->kernels[k].module);
        copy_file(s->kernels[k].path, file);
    }
    path_join(file, sizeof(file), grub, "grub.cfg");
    write_grub_cfg(s, file);
}

int main(int argc, char **argv)
{
    static struct mkimage state; /* large: keep it off the stack */
    struct mkimage *s = &state;
    cleanup_state = s;

    parse_arguments(s, argc, argv);
    struct xl_manifest *manifest = xl_manifest_new();
    if (manifest == NULL) {
        die(EXIT_FAILED, "out of memory");
    }
    check_pools(s, manifest);
    check_domains(s, manifest);
    if (xl_manifest_check(manifest) != XL_MANIFEST_OK) {
        die(EXIT_USAGE, "%s", xl_manifest_error(manifest));
    }
    if (s->hypervisor == NULL) {
        s->hypervisor = find_default_hypervisor(s);
    }
    check_hypervisor(s->hypervisor);
    if (s->boot_options != NULL) {
        append_boot_options(NULL, s->boot_options); /* checked before anything is written */
        char error[MKIMAGE_ERROR_BYTES];
        if (mkimage_check_boot_options(s->boot_options, error, sizeof(error)) != 0) {
            die(EXIT_USAGE, "--boot-options: %s", error);
        }
    }
    check_output_directory(s->output);

    make_tree(s, manifest);
    run_grub_mkrescue(s);
    remove_temporaries();
    xl_manifest_free(manifest);
    return 0;
}
