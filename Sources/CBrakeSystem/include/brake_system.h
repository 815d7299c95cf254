// Linux calls the Swift Glibc module does not expose (they need _GNU_SOURCE).
#ifndef BRAKE_SYSTEM_H
#define BRAKE_SYSTEM_H

#include <sys/types.h>

/// Sets this thread's file-system user id; returns the previous one.
int brake_setfsuid(uid_t uid);
/// Sets this thread's file-system group id; returns the previous one.
int brake_setfsgid(gid_t gid);
/// The peer of a connected Unix socket, from the kernel (SO_PEERCRED); 0 on success.
int brake_peer(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/// Landlock (linux/landlock.h): the ABI version (0 when missing), a ruleset handling these file-system rights
/// (a file descriptor, or -1 with errno), a path-beneath rule, and restricting this thread (no_new_privs first).
int brake_landlock_abi(void);
int brake_landlock_create_ruleset(unsigned long long handled_fs);
/// A ruleset that also handles TCP rights (ABI 4+): bind 1, connect 2; and a rule granting them for one port.
int brake_landlock_create_ruleset_net(unsigned long long handled_fs, unsigned long long handled_net);
int brake_landlock_allow_port(int ruleset_fd, unsigned long long port, unsigned long long rights);
int brake_landlock_allow_beneath(int ruleset_fd, int path_fd, unsigned long long rights);
int brake_landlock_restrict_self(int ruleset_fd);
/// A new user and mount namespace for this (single-threaded) process; 0 on success.
int brake_unshare_user_mount(void);
/// Runs argv[0] in cwd as uid/gid with envp, stdout into out_fd; its exit status, or -1.
int brake_run_as(uid_t uid, gid_t gid, const char *cwd, char *const argv[], char *const envp[], int out_fd);

#endif
