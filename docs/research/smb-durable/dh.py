#!/usr/bin/python3
"""dh.py - a real SMB2/3 client that requests and reconnects durable handles
(impacket from Debian's python3-impacket; Debian's /usr/bin/python3).

  dh.py open  SERVER SHARE FILE STATE [--v2] [--lease] [--lock] [--hold]
      negotiates SMB 3.0 (or 2.1 with --v1-dialect), logs in as guest,
      creates FILE with a batch oplock (or an RWH lease with --lease) and a
      durable handle request (DHnQ, or DH2Q with --v2), writes 'before\n',
      optionally takes a byte-range lock (--lock), saves the file id (and
      create GUID) in STATE, then either exits at once without closing
      (TCP FIN: a lost connection) or, with --hold, waits until the server
      drops the connection.
  dh.py reconnect SERVER SHARE FILE STATE
      new TCP connection, new session, tree connect, CREATE with DHnC (or
      DH2C), then reads the file through the reconnected handle, writes
      'after\n' behind it and closes it. Exit 0 only if the reconnect worked.
Prints one line per step; the NT status of a failure is printed as is.
"""
import copy, json, os, select, struct, sys, uuid as uuidmod

from impacket import smb3
from impacket.smb3structs import *
from impacket.smbconnection import SMBConnection, SessionError
from impacket.nt_errors import ERROR_MESSAGES


def ctx(name, data):
    """One create context (MS-SMB2 2.2.13.2), Next = 0."""
    hdr = struct.pack('<IHHHHI', 0, 16, len(name), 0, 24 if data else 0, len(data))
    body = name + b'\0' * (8 - len(name) % 8 if len(name) % 8 else 0)
    return hdr + body + data


def chain(ctxs):
    out = b''
    for i, c in enumerate(ctxs):
        if i < len(ctxs) - 1:
            c += b'\0' * ((8 - len(c) % 8) % 8)
            c = struct.pack('<I', len(c)) + c[4:]
        out += c
    return out


def parse_ctxs(buf):
    res = {}
    off = 0
    while buf and off < len(buf):
        nxt, noff, nlen, _, doff, dlen = struct.unpack_from('<IHHHHI', buf, off)
        name = buf[off + noff:off + noff + nlen]
        res[name.decode('latin1')] = buf[off + doff:off + doff + dlen]
        if nxt == 0:
            break
        off += nxt
    return res


class Raw:
    def __init__(self, b):
        self.b = b

    def getData(self):
        return self.b


def create(s, tid, name, ctxbuf, oplock, disposition=FILE_OPEN_IF):
    """impacket's SMB3.create, but returning the response's create contexts."""
    pkt = s.SMB_PACKET()
    pkt['Command'] = SMB2_CREATE
    pkt['TreeID'] = tid
    c = SMB2Create()
    c['SecurityFlags'] = 0
    c['RequestedOplockLevel'] = oplock
    c['ImpersonationLevel'] = SMB2_IL_IMPERSONATION
    c['DesiredAccess'] = FILE_READ_DATA | FILE_WRITE_DATA | FILE_APPEND_DATA | \
        FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE
    c['FileAttributes'] = FILE_ATTRIBUTE_NORMAL
    c['ShareAccess'] = FILE_SHARE_READ
    c['CreateDisposition'] = disposition
    c['CreateOptions'] = FILE_NON_DIRECTORY_FILE
    c['NameLength'] = len(name) * 2
    c['Buffer'] = name.encode('utf-16le')
    off = len(SMB2Packet()) + SMB2Create.SIZE + len(c['Buffer'])
    if off % 8:
        c['Buffer'] += b'\0' * (8 - off % 8)
        off += 8 - off % 8
    c['CreateContextsOffset'] = off
    c['CreateContextsLength'] = len(ctxbuf)
    c['Buffer'] += ctxbuf
    pkt['Data'] = c
    ans = s.recvSMB(s.sendSMB(pkt))
    st = ans['Status']
    if st != 0:
        return st, None, None, None
    r = SMB2Create_Response(ans['Data'])
    raw = ans['Data']
    coff, clen = r['CreateContextsOffset'], r['CreateContextsLength']
    ctxs = parse_ctxs(raw[coff - 64:coff - 64 + clen]) if clen else {}
    fid = r['FileID'].getData()
    of = copy.deepcopy(smb3.OPEN)
    of['FileID'] = r['FileID']
    of['TreeConnect'] = tid
    of['FileName'] = name
    s._Session['OpenTable'][fid] = of
    s.GlobalFileTable[name] = copy.deepcopy(smb3.FILE)
    return 0, fid, r['OplockLevel'], ctxs


def status_name(st):
    return ERROR_MESSAGES.get(st, ('0x%08x' % st,))[0]


def connect(server, share, dialect):
    # one client, one ClientGuid across its connections (as a real client):
    # impacket draws it from random, so seed random the same way each time
    smb3.random.seed(os.environ.get('DH_CLIENT', 'dhr-client'))
    conn = SMBConnection('DHRVS', server, preferredDialect=dialect, timeout=10)
    conn.login('guest', '')
    s = conn.getSMBServer()
    tid = s.connectTree(share)
    print('connected dialect=0x%x session=0x%x' % (s._Connection['Dialect'], s._Session['SessionID']))
    return conn, s, tid


def main():
    mode, server, share, fname, state = sys.argv[1:6]
    flags = sys.argv[6:]
    dialect = SMB2_DIALECT_21 if '--v1-dialect' in flags else SMB2_DIALECT_30
    if mode == 'open':
        conn, s, tid = connect(server, share, dialect)
        ctxs = []
        st = {'v2': '--v2' in flags, 'lease': '--lease' in flags}
        if st['v2']:
            cg = uuidmod.uuid4().bytes_le
            st['create_guid'] = cg.hex()
            ctxs.append(ctx(b'DH2Q', struct.pack('<II', 0, 0) + b'\0' * 8 + cg))
        else:
            ctxs.append(ctx(b'DHnQ', b'\0' * 16))
        if st['lease']:
            lk = uuidmod.uuid4().bytes
            st['lease_key'] = lk.hex()
            ctxs.append(ctx(b'RqLs', lk + struct.pack('<IIQ', 7, 0, 0) + b'\0' * 16 + struct.pack('<HH', 0, 0)))
            oplock = SMB2_OPLOCK_LEVEL_LEASE
        else:
            oplock = SMB2_OPLOCK_LEVEL_BATCH
        rc, fid, olevel, rctx = create(s, tid, fname, chain(ctxs), oplock)
        if rc:
            print('open failed:', status_name(rc))
            return 1
        durable = 'DHnQ' in rctx or 'DH2Q' in rctx
        extra = ''
        if 'DH2Q' in rctx:
            extra = ' timeout=%dms' % struct.unpack_from('<I', rctx['DH2Q'])[0]
        if 'RqLs' in rctx:
            extra += ' lease_state=0x%x' % struct.unpack_from('<I', rctx['RqLs'], 16)[0]
        print('open ok oplock=0x%x durable_granted=%s contexts=%s%s' % (olevel, durable, sorted(rctx), extra))
        s.write(tid, fid, b'before\n', 0, 7)
        print('wrote before')
        if '--lock' in flags:
            lock(s, tid, fid)
        st['fid'] = fid.hex()
        st['pid'] = os.getpid()
        with open(state, 'w') as f:
            json.dump(st, f)
        print('state saved, fid=%s' % fid.hex())
        sys.stdout.flush()
        if '--hold' in flags:
            sock = s._NetBIOSSession.get_socket()
            # wait (at most 120 s) for the server to go away
            r, _, _ = select.select([sock], [], [], 120)
            data = sock.recv(4096) if r else b'x'
            print('server dropped the connection' if not data else 'connection still up / data %r' % data[:8])
        os._exit(0)  # no close, no logoff: the handle is left to the server
    elif mode == 'reconnect':
        st = json.load(open(state))
        fid = bytes.fromhex(st['fid'])
        conn, s, tid = connect(server, share, dialect)
        if st.get('v2'):
            c = [ctx(b'DH2C', fid + bytes.fromhex(st['create_guid']) + struct.pack('<I', 0))]
        else:
            c = [ctx(b'DHnC', fid)]
        oplock = SMB2_OPLOCK_LEVEL_BATCH
        if st.get('lease'):
            c.append(ctx(b'RqLs', bytes.fromhex(st['lease_key']) + struct.pack('<IIQ', 7, 0, 0) + b'\0' * 16 + struct.pack('<HH', 0, 0)))
            oplock = SMB2_OPLOCK_LEVEL_LEASE
        rc, nfid, olevel, rctx = create(s, tid, fname, chain(c), oplock, FILE_OPEN)
        if rc:
            print('RECONNECT FAILED:', status_name(rc))
            return 2
        print('RECONNECT OK oplock=0x%x same_persistent_id=%s contexts=%s' % (olevel, nfid[:8] == fid[:8], sorted(rctx)))
        data = s.read(tid, nfid, 0, 100)
        print('read through reconnected handle: %r' % data)
        s.write(tid, nfid, b'after\n', len(data), 6)
        s.close(tid, nfid)
        print('wrote after, closed')
        conn.logoff()
        return 0


def lock(s, tid, fid):
    pkt = s.SMB_PACKET()
    pkt['Command'] = SMB2_LOCK
    pkt['TreeID'] = tid
    l = SMB2Lock()
    l['LockCount'] = 1
    l['FileID'] = fid
    le = SMB2_LOCK_ELEMENT()
    le['Offset'] = 100
    le['Length'] = 10
    le['Flags'] = SMB2_LOCKFLAG_EXCLUSIVE_LOCK | SMB2_LOCKFLAG_FAIL_IMMEDIATELY
    l['Locks'] = le.getData()
    pkt['Data'] = l
    ans = s.recvSMB(s.sendSMB(pkt))
    print('byte-range lock 100+10:', status_name(ans['Status']))


if __name__ == '__main__':
    import copy
    try:
        sys.exit(main())
    except SessionError as e:
        print('SMB error:', e)
        sys.exit(3)
