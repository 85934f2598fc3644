#!/usr/bin/python3
"""pin.py LOCKDIR: hold a read lock on the ACTIVE_LOCK byte (offset 4) of the
tdbs smbd opens with TDB_CLEAR_IF_FIRST, so that the next smbd's open sees
another "user" and does not wipe them. Diagnostic only: it proves that the
wipe is what loses the durable state across a restart."""
import fcntl, os, signal, sys, time
d = sys.argv[1]
fds = []
for n in ('locking.tdb', 'brlock.tdb', 'leases.tdb', 'smbXsrv_open_global.tdb',
          'smbXsrv_session_global.tdb', 'smbXsrv_tcon_global.tdb',
          'smbXsrv_client_global.tdb', 'smbXsrv_version_global.tdb'):
    p = os.path.join(d, n)
    if os.path.exists(p):
        fd = os.open(p, os.O_RDWR)
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, 4, 0)
        fds.append(fd)
print('pin: holding ACTIVE_LOCK of %d tdbs in %s' % (len(fds), d), flush=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
