/* The idle half of a local sandbox's TTL supervisor, in C so a sandbox waiting out its TTL costs well under a
 * megabyte instead of a Node process. It sleeps until something is due, re-reading the sandbox record whenever it
 * changes (inotify on the state dir, so `rehearse sandbox extend` moves the deadline at once), on SIGHUP, and at
 * least every few seconds while the sandbox is still being created. When the sandbox is due (expired, its creator
 * died mid-creation, creation failed, or its router namespace vanished) it execs the Node teardown entry given
 * after `--`, in place: the same pid, so teardown still finds it by argv and never kills itself. Node runs only at
 * teardown. When the record is gone or says destroyed, it exits 0.
 *
 *   agent --supervise --record <state-home>/sandboxes/<id>.json --router-netns <name> --creator-pid <pid>
 *         [--creator-start-ticks <ticks>] [--poll-ms <ms>] -- <node> <teardown entry> <args...>
 *
 * The due test mirrors findStaleReason (reconcile.ts); the Node entry decides again before it reaps, and keeps
 * supervising if it finds the sandbox not due after all. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORD_BYTES (16 * 1024 * 1024)
/* While ready, the longest sleep between looks: bounds the damage of a missed inotify event (or a clock jump). */
#define IDLE_RECHECK_MS 60000
#define NETNS_DIR "/run/netns"

static void logf_(const char *fmt, ...) {
    char when[32] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s supervisor[%d] ", when, (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int usage(const char *problem) {
    logf_("%s; usage: agent --supervise --record <file> --router-netns <name> --creator-pid <pid> [--creator-start-ticks <n>] "
          "[--poll-ms <ms>] -- <program> [args...]",
          problem);
    return 2;
}

/* ---------- the record: a JSON object; only its top-level "status" and "expiresAt" strings matter here ---------- */

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) p++;
    return p;
}

/* Steps over a JSON string starting at its opening quote; copies its content (escapes kept raw) when out is given. */
static const char *read_string(const char *p, const char *end, char *out, size_t cap) {
    if (p >= end || *p != '"') return NULL;
    p++;
    size_t w = 0;
    while (p < end && *p != '"') {
        if (*p == '\\') {
            if (p + 1 >= end) return NULL;
            if (out && w + 2 < cap) {
                out[w++] = p[0];
                out[w++] = p[1];
            }
            p += 2;
            continue;
        }
        if (out && w + 1 < cap) out[w++] = *p;
        p++;
    }
    if (p >= end) return NULL;
    if (out) out[w] = '\0';
    return p + 1;
}

/* Steps over any JSON value (nested objects and arrays by depth, strings with their escapes). */
static const char *skip_value(const char *p, const char *end) {
    p = skip_ws(p, end);
    if (p >= end) return NULL;
    if (*p == '"') return read_string(p, end, NULL, 0);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < end) {
            if (*p == '"') {
                p = read_string(p, end, NULL, 0);
                if (!p) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') depth++;
            if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
            p++;
        }
        return NULL;
    }
    while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
    return p;
}

struct record_view {
    char status[32];
    char expires_at[64];
};

/* Reads the two top-level members; 0 when the text is not an object that has both as strings. */
static int parse_record(const char *text, size_t len, struct record_view *view) {
    const char *p = text;
    const char *end = text + len;
    int found = 0;
    p = skip_ws(p, end);
    if (p >= end || *p != '{') return 0;
    p++;
    for (;;) {
        p = skip_ws(p, end);
        if (p < end && *p == '}') break;
        char key[64];
        p = read_string(p, end, key, sizeof key);
        if (!p) return 0;
        p = skip_ws(p, end);
        if (p >= end || *p != ':') return 0;
        p = skip_ws(p + 1, end);
        if (strcmp(key, "status") == 0 && p < end && *p == '"') {
            p = read_string(p, end, view->status, sizeof view->status);
            found |= 1;
        } else if (strcmp(key, "expiresAt") == 0 && p < end && *p == '"') {
            p = read_string(p, end, view->expires_at, sizeof view->expires_at);
            found |= 2;
        } else {
            p = skip_value(p, end);
        }
        if (!p) return 0;
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}') break;
        return 0;
    }
    return found == 3;
}

/* `2026-01-02T03:04:05.678Z` (what Date.toISOString writes) → milliseconds since the epoch; -1 when malformed. */
static int64_t parse_iso_ms(const char *s) {
    int year, month, day, hour, minute, second, consumed = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second, &consumed) != 6) return -1;
    const char *rest = s + consumed;
    int64_t millis = 0;
    if (*rest == '.') {
        int digits = 0;
        rest++;
        while (*rest >= '0' && *rest <= '9') {
            if (digits < 3) millis = millis * 10 + (*rest - '0');
            digits++;
            rest++;
        }
        for (; digits < 3; digits++) millis *= 10;
    }
    if (strcmp(rest, "Z") != 0) return -1;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return -1;
    struct tm tm = {.tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour, .tm_min = minute, .tm_sec = second};
    time_t t = timegm(&tm);
    if (t == (time_t)-1) return -1;
    return (int64_t)t * 1000 + millis;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- facts about the host ---------- */

/* True when the process runs and is not a zombie; with start ticks, only that very process (pids are reused). */
static int is_process_alive(long pid, const char *start_ticks) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses; the fields after the last ')' are fixed. */
    char *close_paren = strrchr(buf, ')');
    if (!close_paren || close_paren[1] != ' ') return 0;
    char *fields = close_paren + 2;
    char state = fields[0];
    if (state == 'Z' || state == 'X') return 0;
    if (!start_ticks) return 1;
    /* Field 22 (starttime) is the 20th after the state. */
    char *p = fields;
    for (int i = 0; i < 19 && p; i++) {
        p = strchr(p, ' ');
        if (p) p++;
    }
    if (!p) return 0;
    size_t len = strcspn(p, " ");
    return strlen(start_ticks) == len && strncmp(p, start_ticks, len) == 0;
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---------- the loop ---------- */

enum verdict { V_WAIT, V_GONE, V_DUE };

struct options {
    const char *record;
    const char *router_netns;
    long creator_pid;
    const char *creator_start_ticks;
    long poll_ms;
    char **program;
};

static enum verdict judge(const struct options *o, const char *router_path, int64_t *wait_ms, const char **why) {
    *wait_ms = IDLE_RECHECK_MS;
    int fd = open(o->record, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *why = "the record is gone";
            return V_GONE;
        }
        *why = "the record cannot be opened";
        return V_DUE;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size < 0 || st.st_size > MAX_RECORD_BYTES) {
        close(fd);
        *why = "the record is not a readable file of at most 16 MiB";
        return V_DUE;
    }
    size_t cap = (size_t)st.st_size + 1;
    char *text = malloc(cap);
    if (!text) {
        close(fd);
        *wait_ms = 1000;
        return V_WAIT;
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, text + len, cap - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += (size_t)n;
        if (len == cap) break;
    }
    close(fd);
    struct record_view view;
    memset(&view, 0, sizeof view);
    int ok = parse_record(text, len, &view);
    free(text);
    /* Records are written by rename, never in place: an unreadable one is damaged, and Node says how. */
    if (!ok) {
        *why = "the record is unreadable";
        return V_DUE;
    }
    if (strcmp(view.status, "destroyed") == 0) {
        *why = "the sandbox was destroyed";
        return V_GONE;
    }
    int64_t expires = parse_iso_ms(view.expires_at);
    if (expires < 0) {
        *why = "the record's expiresAt is malformed";
        return V_DUE;
    }
    int64_t left = expires - now_ms();
    if (left <= 0) {
        *why = "expired";
        return V_DUE;
    }
    if (strcmp(view.status, "failed") == 0 || strcmp(view.status, "expiring") == 0) {
        *why = view.status[0] == 'f' ? "creation failed" : "it is being expired";
        return V_DUE;
    }
    if (strcmp(view.status, "provisioning") == 0) {
        if (!is_process_alive(o->creator_pid, o->creator_start_ticks)) {
            *why = "its creator died mid-creation";
            return V_DUE;
        }
        /* A creator dies without telling anyone: look again soon. */
        *wait_ms = o->poll_ms;
    } else if (strcmp(view.status, "ready") == 0 && !exists(router_path)) {
        *why = "its router namespace vanished";
        return V_DUE;
    }
    if (left < *wait_ms) *wait_ms = left;
    return V_WAIT;
}

static int parse_long(const char *s, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return 0;
    *out = v;
    return 1;
}

int supervise_main(int argc, char **argv) {
    struct options o = {.poll_ms = 2000, .creator_pid = -1};
    int i = 2;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc) return usage("every option takes a value");
        const char *v = argv[++i];
        if (strcmp(a, "--record") == 0) o.record = v;
        else if (strcmp(a, "--router-netns") == 0) o.router_netns = v;
        else if (strcmp(a, "--creator-pid") == 0) {
            if (!parse_long(v, 1, INT_MAX, &o.creator_pid)) return usage("--creator-pid must be a pid");
        } else if (strcmp(a, "--creator-start-ticks") == 0) {
            long ignored;
            if (!parse_long(v, 0, LONG_MAX, &ignored)) return usage("--creator-start-ticks must be a number");
            o.creator_start_ticks = v;
        } else if (strcmp(a, "--poll-ms") == 0) {
            if (!parse_long(v, 10, 600000, &o.poll_ms)) return usage("--poll-ms must be 10..600000");
        } else {
            return usage("unknown option");
        }
    }
    if (!o.record || !o.router_netns || o.creator_pid < 0) return usage("--record, --router-netns and --creator-pid are required");
    if (strchr(o.router_netns, '/') || strlen(o.router_netns) > 64) return usage("--router-netns must be a namespace name");
    if (i >= argc) return usage("the teardown program to exec goes after --");
    o.program = argv + i;

    char router_path[128];
    snprintf(router_path, sizeof router_path, NETNS_DIR "/%s", o.router_netns);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o.record);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");

    /* SIGHUP: look at the record now. A terminal hangup cannot reach us anyway (own session). */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ino >= 0) {
        /* Records are replaced by rename (IN_MOVED_TO); a `down` deletes them. /run/netns tells us of a vanished router. */
        inotify_add_watch(ino, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM);
        if (exists(NETNS_DIR)) inotify_add_watch(ino, NETNS_DIR, IN_DELETE);
    }
    for (;;) {
        int64_t wait_ms = 0;
        const char *why = "";
        enum verdict verdict = judge(&o, router_path, &wait_ms, &why);
        if (verdict == V_GONE) {
            logf_("%s: exiting", why);
            return 0;
        }
        if (verdict == V_DUE) {
            logf_("%s: handing over to %s for teardown", why, o.program[0]);
            /* Signals blocked here would stay blocked across exec; the teardown entry expects the defaults. */
            sigprocmask(SIG_UNBLOCK, &mask, NULL);
            if (sigfd >= 0) close(sigfd);
            if (ino >= 0) close(ino);
            execv(o.program[0], o.program);
            logf_("cannot exec %s: %s; the next rehearsal command reaps the sandbox", o.program[0], strerror(errno));
            return 1;
        }
        struct pollfd fds[2] = {{.fd = ino, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
        int n = poll(fds, 2, (int)(wait_ms < 1 ? 1 : wait_ms));
        if (n < 0 && errno != EINTR) {
            logf_("poll: %s", strerror(errno));
            sleep(1);
        }
        /* Whatever woke us, drain it and judge again: the record is the only truth. */
        char drain[4096];
        if (ino >= 0) {
            while (read(ino, drain, sizeof drain) > 0) {
            }
        }
        if (sigfd >= 0) {
            while (read(sigfd, drain, sizeof drain) > 0) {
            }
        }
    }
}
