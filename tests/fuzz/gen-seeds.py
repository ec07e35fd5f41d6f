#!/usr/bin/env python3
# Write the seed corpora of tests/fuzz/corpora: a few well-formed inputs
# per target, so each run starts from inputs that get past the first
# checks. Run from anywhere; the files are committed.
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPORA = os.path.join(HERE, 'corpora')

# FUSE opcodes (linux/fuse.h)
LOOKUP, FORGET, GETATTR, SETATTR, READLINK, SYMLINK, MKNOD, MKDIR = 1, 2, 3, 4, 5, 6, 8, 9
UNLINK, RMDIR, RENAME, LINK, OPEN, READ, WRITE, STATFS, RELEASE = 10, 11, 12, 13, 14, 15, 16, 17, 18
FSYNC, SETXATTR, GETXATTR, LISTXATTR, FLUSH, OPENDIR, READDIR = 20, 21, 22, 23, 25, 27, 28
RELEASEDIR, ACCESS, CREATE, INTERRUPT, BATCH_FORGET, FALLOCATE = 29, 34, 35, 36, 42, 43
READDIRPLUS, RENAME2, LSEEK, COPY_FILE_RANGE, DESTROY = 44, 45, 46, 47, 38

unique = [100]
# fuse_driver.h: nodeids and leading fhs from this value up are replaced
# by the ones earlier replies of the same input handed out.
NODE0 = 0xfffffffffffff000
FH0 = 0xfffffffffffff000


def req(opcode, nodeid, body=b'', uid=0, gid=0):
    unique[0] += 1
    hdr = struct.pack('<IIQQIIIHH', 40 + len(body), opcode, unique[0],
                      nodeid, uid, gid, 1234, 0, 0)
    return hdr + body


def rec(msg, room=4096, split=0x00):
    return struct.pack('<BHH', split, room, len(msg)) + msg


def name(s):
    return s.encode() + b'\0'


def secctx(xname, value):
    body = struct.pack('<II', len(value), 0) + name(xname) + value
    body += bytes(-len(body) % 8)
    return struct.pack('<II', 8 + len(body), 1) + body


def fuse_seeds():
    open_in = struct.pack('<II', os.O_RDWR, 0)
    read_in = lambda fh, off, size: struct.pack('<QQIIQII', fh, off, size, 0, 0, 0, 0)
    write_in = lambda fh, off, data: struct.pack('<QQIIQII', fh, off, len(data), 0, 0, 0, 0) + data
    rel_in = lambda fh: struct.pack('<QIIQ', fh, 0, 0, 0)
    mkdir_in = struct.pack('<II', 0o755, 0o022)
    create_in = struct.pack('<IIII', os.O_RDWR | os.O_CREAT, 0o644, 0o022, 0)
    setattr_in = struct.pack('<IIQQQQQQIIIIIIII', 1 << 3, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    forget_in = struct.pack('<Q', 1)
    return {
        'lookup': [rec(req(LOOKUP, 1, name('file'))), rec(req(GETATTR, NODE0, bytes(16))),
                   rec(req(FORGET, NODE0, forget_in))],
        'read': [rec(req(LOOKUP, 1, name('file'))), rec(req(OPEN, NODE0, open_in)),
                 rec(req(READ, NODE0, read_in(FH0, 0, 4096)), room=8192, split=0x21),
                 rec(req(RELEASE, NODE0, rel_in(FH0)))],
        'write': [rec(req(CREATE, 1, create_in + name('new'))),
                  rec(req(WRITE, NODE0, write_in(FH0, 0, b'hello world')), split=0x03),
                  rec(req(FSYNC, NODE0, struct.pack('<QII', FH0, 0, 0))),
                  rec(req(FALLOCATE, NODE0, struct.pack('<QQQII', FH0, 0, 4096, 0, 0))),
                  rec(req(LSEEK, NODE0, struct.pack('<QQII', FH0, 0, 3, 0)))],
        'dir': [rec(req(MKDIR, 1, mkdir_in + name('d2'))), rec(req(OPENDIR, 1, open_in)),
                rec(req(READDIRPLUS, 1, read_in(FH0, 0, 4096)), room=8192, split=0x40),
                rec(req(READDIR, 1, read_in(FH0, 0, 4096)), room=300),
                rec(req(RELEASEDIR, 1, rel_in(FH0))), rec(req(RMDIR, 1, name('d2')))],
        'names': [rec(req(SYMLINK, 1, name('s') + name('/etc/passwd'))),
                  rec(req(READLINK, 1, b'')),
                  rec(req(MKNOD, 1, struct.pack('<IIII', 0o10644, 0, 0o022, 0) + name('p'))),
                  rec(req(RENAME, 1, struct.pack('<Q', 1) + name('file') + name('f2'))),
                  rec(req(RENAME2, 1, struct.pack('<QII', 1, 0, 0) + name('f2') + name('file'))),
                  rec(req(LINK, 1, struct.pack('<Q', NODE0) + name('l'))),
                  rec(req(UNLINK, 1, name('l'))), rec(req(LOOKUP, 1, name('..')))],
        'attr': [rec(req(SETATTR, 1, setattr_in)), rec(req(STATFS, 1)),
                 rec(req(ACCESS, 1, struct.pack('<II', 4, 0))),
                 rec(req(GETXATTR, 1, struct.pack('<II', 64, 0) + name('user.x'))),
                 rec(req(LISTXATTR, 1, struct.pack('<II', 256, 0))),
                 rec(req(BATCH_FORGET, 0, struct.pack('<II', 2, 0) + struct.pack('<QQ', 2, 1) * 2)),
                 rec(req(INTERRUPT, 0, struct.pack('<Q', 5))), rec(req(DESTROY, 0))],
        # FUSE_SECURITY_CTX blocks after the names (fuse/secctx.h).
        'secctx': [rec(req(MKDIR, 1, mkdir_in + name('sd') + secctx('security.selinux', b'l:t:s0'))),
                   rec(req(CREATE, 1, create_in + name('sf') + secctx('security.x', b''))),
                   rec(req(SYMLINK, 1, name('sl') + name('sf') + secctx('security.selinux', b'v'))),
                   rec(req(MKNOD, 1, struct.pack('<IIII', 0o100644, 0, 0o022, 0) + name('sn') +
                           struct.pack('<II', 8, 0)))],
    }


def write_dir(target, seeds, prefix=b''):
    d = os.path.join(CORPORA, target)
    os.makedirs(d, exist_ok=True)
    for n, parts in seeds.items():
        data = prefix + b''.join(parts) if isinstance(parts, list) else parts
        with open(os.path.join(d, n), 'wb') as f:
            f.write(data)


# vhost-user: 64 KiB of guest memory at gpa 0, uva 0x7f0000000000; a queue
# of 8 with its rings at 0x0/0x400/0x600 and one chain in it.
UVA = 0x7f0000000000


def vu(request, payload=b'', flags=1):
    return struct.pack('<III', request, flags, len(payload)) + payload


def vrec(msg, nfds=0, kind=0):
    return struct.pack('<BH', nfds + 9 * kind, len(msg)) + msg


def ring_image():
    img = bytearray(0x1000)
    struct.pack_into('<QIHH', img, 0x000, 0x800, 64, 1, 1)      # desc 0 -> 1
    struct.pack_into('<QIHH', img, 0x010, 0x900, 128, 2, 0)     # write-only
    struct.pack_into('<HHH', img, 0x400, 0, 1, 0)               # avail: idx 1
    return bytes(img)


def vu_seeds():
    img = ring_image()
    prefix = struct.pack('<H', len(img)) + img
    mem = struct.pack('<II', 1, 0) + struct.pack('<QQQQ', 0, 0x10000, UVA, 0)
    addr = struct.pack('<IIQQQQ', 1, 0, UVA, UVA + 0x600, UVA + 0x400, 0)
    setup = [vrec(vu(1)), vrec(vu(2, struct.pack('<Q', (1 << 32) | (1 << 28) | (1 << 29)))),
             vrec(vu(3)), vrec(vu(5, mem), 1, 1),
             vrec(vu(8, struct.pack('<II', 1, 8))), vrec(vu(9, addr)),
             vrec(vu(10, struct.pack('<II', 1, 0))),
             vrec(vu(13, struct.pack('<Q', 1)), 1, 0),
             vrec(vu(12, struct.pack('<Q', 1)), 1, 0)]
    proto = [vrec(vu(1)), vrec(vu(15)), vrec(vu(16, struct.pack('<Q', 3))), vrec(vu(17)),
             vrec(vu(18, struct.pack('<II', 0, 1), flags=1 | 8)),
             vrec(vu(11, struct.pack('<II', 1, 0))), vrec(vu(34))]
    return {'start': prefix + b''.join(setup),
            'stop': prefix + b''.join(setup) + vrec(vu(11, struct.pack('<II', 1, 0))),
            'protocol': struct.pack('<H', 0) + b''.join(proto)}


def virtq_seeds():
    A, B = 0x10000, 0x11000
    plain = bytearray(0x1000)
    struct.pack_into('<QIHH', plain, 0x000, A + 0x800, 64, 1, 1)
    struct.pack_into('<QIHH', plain, 0x010, B, 128, 2, 0)
    struct.pack_into('<HHHH', plain, 0x400, 0, 2, 0, 0)
    struct.pack_into('<QIHH', plain, 0x020, A + 0xff0, 0x20, 0, 0)  # straddles A/B
    struct.pack_into('<H', plain, 0x406, 2)
    ind = bytearray(0x1000)
    struct.pack_into('<QIHH', ind, 0x000, A + 0x800, 32, 4, 0)     # INDIRECT
    struct.pack_into('<QIHH', ind, 0x800, A + 0xc00, 16, 1, 1)
    struct.pack_into('<QIHH', ind, 0x810, B + 0x10, 64, 2, 0)
    struct.pack_into('<HHH', ind, 0x400, 0, 1, 0)
    return {'plain': bytes([3]) + bytes(plain),
            'indirect': bytes([3 | 8 | 16]) + bytes(ind)}


def option_seeds():
    legacy = ['source=/srv/share,cache=auto,xattr', 'cache=none,no_xattr,sandbox=chroot',
              'source=/a,,b,flock,posix_lock,writeback,log_level=debug',
              'modcaps=+sys_admin:-chown,thread_pool_size=4']
    argv = [['--shared-dir=/srv', '--socket-path=/tmp/vfsd.sock', '--cache=always'],
            ['--fuse-mount', '/mnt', '--shared-dir', '/srv', '--rlimit-nofile=64'],
            ['-o', 'source=/srv', '--fd=3', '--sandbox=none', '--seccomp=log'],
            ['--print-capabilities'], ['--thread-pool-size=0', '--log-level=warn', '--syslog']]
    seeds = {}
    for i, s in enumerate(legacy):
        seeds['legacy%d' % i] = b'\0' + s.encode()
    for i, a in enumerate(argv):
        seeds['argv%d' % i] = b'\1' + b'\0'.join(x.encode() for x in a)
    return seeds


def crc32c(data):
    crc = 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82f63b78 if crc & 1 else crc >> 1
    return crc ^ 0xffffffff


def section(kind, payload, flags=0):
    return struct.pack('<IIQ', kind, flags, len(payload)) + payload


def node(nodeid, nlookup, parent, mode, nm, ident=b'', flags=0):
    nm = nm.encode()
    return struct.pack('<QQIIIiHH', nodeid, nlookup, parent, mode,
                       flags, 1 if ident else 0, len(ident), len(nm)) + nm + ident


def state_seeds():
    """Bodies (flag byte 0) of states as docs/MIGRATION.md lays them out,
    naming the scratch share's fixtures (tests/fuzz/scratch.c)."""
    none, d, f = 0xffffffff, 0o040000, 0o100000
    fs = struct.pack('<IIQQQHHi', 0, 0, 40, 20, 0, 0, 0, 0)
    nodes = [node(1, 1, none, d, ''), node(5, 2, 0, d, 'dir'),
             node(7, 1, 1, f, 'inner'), node(9, 1, 0, f, 'file'),
             node(11, 3, 0, 0o120000, 'out'), node(13, 1, 0, 0o010000, 'fifo'),
             node(0, 0, 0, d, 'dir'), node(15, 1, 6, f, 'inner', b'\1' * 8, 1),
             node(17, 1, none, f, '')]
    handles = struct.pack('<QQIIQ', 3, 9, 1, 2, 0) + \
        struct.pack('<QQIIQ', 4, 5, 2, 0, 7)
    session = struct.pack('<IIQIIQII', 7, 38, 0x40000000 | 0x3ff, 1 << 20, 0,
                          0x200039, 1 << 20, 0)
    body = section(2, fs) + section(3, struct.pack('<Q', len(nodes)) + b''.join(nodes)) + \
        section(4, struct.pack('<Q', 2) + handles)
    raw_body = section(1, session) + body
    header = b'VFSDSTAT' + struct.pack('<IIQIIQ', 1, 40, len(body), crc32c(body), 0, 0)
    return {'fs': b'\0' + body, 'with-session': b'\0' + raw_body,
            'optional-section': b'\0' + body + section(99, b'later', 1),
            'raw': b'\1' + header + body}


fuse = fuse_seeds()
write_dir('fuzz_fuse_pt', fuse)
write_dir('fuzz_fuse_mock', {k: b'\0' + b''.join(v) for k, v in fuse.items()})
write_dir('fuzz_fuse_mock', {k + '-err': b'\x17' + b''.join(v) for k, v in fuse.items()})
write_dir('fuzz_vu_msg', vu_seeds())
write_dir('fuzz_virtq_chain', virtq_seeds())
write_dir('fuzz_options', option_seeds())
write_dir('fuzz_state', state_seeds())
