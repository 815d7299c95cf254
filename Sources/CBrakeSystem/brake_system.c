#define _GNU_SOURCE
#include "brake_system.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int brake_setfsuid(uid_t uid) { return setfsuid(uid); }

int brake_setfsgid(gid_t gid) { return setfsgid(gid); }

int brake_peer(int fd, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sched.h>
#include <stdint.h>

int brake_landlock_abi(void) {
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return v < 0 ? 0 : (int)v;
}

int brake_landlock_create_ruleset(unsigned long long handled_fs) {
    struct landlock_ruleset_attr attr = {0};
    attr.handled_access_fs = handled_fs;
    return (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr.handled_access_fs), 0);
}

/* The network fields came with ABI 4; the system's header may predate them, so the layouts are spelled here as
 * the kernel defines them (include/uapi/linux/landlock.h). */
struct brake_landlock_ruleset_attr_net {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
};
struct brake_landlock_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};
#define BRAKE_LANDLOCK_RULE_NET_PORT 2

int brake_landlock_create_ruleset_net(unsigned long long handled_fs, unsigned long long handled_net) {
    struct brake_landlock_ruleset_attr_net attr = {handled_fs, handled_net};
    return (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
}

int brake_landlock_allow_port(int ruleset_fd, unsigned long long port, unsigned long long rights) {
    struct brake_landlock_net_port_attr rule = {rights, port};
    return (int)syscall(SYS_landlock_add_rule, ruleset_fd, BRAKE_LANDLOCK_RULE_NET_PORT, &rule, 0);
}

int brake_landlock_allow_beneath(int ruleset_fd, int path_fd, unsigned long long rights) {
    struct landlock_path_beneath_attr rule = {0};
    rule.allowed_access = rights;
    rule.parent_fd = path_fd;
    return (int)syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
}

int brake_landlock_restrict_self(int ruleset_fd) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
    return (int)syscall(SYS_landlock_restrict_self, ruleset_fd, 0);
}

int brake_unshare_user_mount(void) {
    return unshare(CLONE_NEWUSER | CLONE_NEWNS);
}

/* Runs argv[0] (an absolute path) in cwd as uid/gid (no supplementary groups) when they differ from this
 * process's, with envp, its stdout into out_fd and stdin/stderr on /dev/null; waits and returns its exit status
 * (-1 when it could not start). Between fork and exec only async-signal-safe calls are made. */
int brake_run_as(uid_t uid, gid_t gid, const char *cwd, char *const argv[], char *const envp[], int out_fd) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0) _exit(127);
        dup2(null, 0);
        dup2(out_fd, 1);
        dup2(null, 2);
        if (uid != geteuid() || gid != getegid()) {
            if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
        }
        if (chdir(cwd) != 0) _exit(126);
        /* A repository's filters or hooks must not hold the caller up: SIGALRM survives execve and ends it. */
        alarm(30);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
