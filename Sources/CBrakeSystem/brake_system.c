#define _GNU_SOURCE
#include "brake_system.h"

#include <sys/fsuid.h>
#include <sys/socket.h>

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
