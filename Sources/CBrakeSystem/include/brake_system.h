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

#endif
