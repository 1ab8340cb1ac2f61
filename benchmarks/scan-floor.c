/*
 * The floor of a no-change rerun: walks a tree with only the system calls a rerun cannot avoid
 * (open, getdents64, close per directory; one statx per entry, relative to the directory) and nothing else.
 * Run one per tree, in parallel, to compare with Copy-KojiVolume's and rsync's no-change reruns
 * (docs/performance.md, "the rerun floor"):
 *
 *   gcc -O2 -o /tmp/scan-floor benchmarks/scan-floor.c
 *   time (/tmp/scan-floor SRC & /tmp/scan-floor DST & wait)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long dirs, entries;

static void walk(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    dirs++;
    char buf[65536], sub[4096];
    struct statx st;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) continue;
            statx(fd, d->d_name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &st);
            entries++;
            if (S_ISDIR(st.stx_mode)) {
                snprintf(sub, sizeof sub, "%s/%s", path, d->d_name);
                walk(sub);
            }
        }
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: %s TREE\n", argv[0]); return 2; }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    walk(argv[1]);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%s: %ld directories, %ld entries, %.3f s (%.2f us per entry)\n", argv[1], dirs, entries, s, s / entries * 1e6);
    return 0;
}
