// Every save (write_text, save, save_npy/npz/csv, plots, `mlp test --update`) goes
// through writeFileAtomically: the new contents go to a temporary file made
// exclusively (mkstemp: a unique name, O_CREAT|O_EXCL, so no planted file or
// symlink is followed) beside the file, which is then renamed over it. A
// symlink is written through to its target; the target keeps its permission
// bits; a read-only file, a folder, a FIFO, a device or a socket is refused
// (rename would replace it); the temporary file is removed on every error and
// on Ctrl-C.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The temporary file being written, for the Ctrl-C handler to remove before it
/// ends the process. Set and cleared on the interpreter's thread, which is also
/// the thread the handler runs on. The C string's address, 0 for none.
private let pendingTemporary = Atomic<UInt>(0)

/// Removes the save's temporary file, if one is being written. Async-signal-safe.
public func removePendingTemporaryFile() {
    if let p = UnsafePointer<CChar>(bitPattern: pendingTemporary.load(ordering: .relaxed)) { unlink(p) }
}

/// Writes `bytes` to `path` safely and atomically; nil, or why it could not.
public func writeFileAtomically(_ path: String, _ bytes: [UInt8]) -> String? {
    guard let target = resolvingSymlinks(path) else { return "too many levels of symbolic links" }
    var st = stat()
    let mode: mode_t, existing = lstat(target, &st) == 0
    if existing {
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return "it is a folder"
        case S_IFIFO: return "it is a FIFO, not a regular file (only regular files are saved to)"
        case S_IFCHR, S_IFBLK: return "it is a device, not a regular file (only regular files are saved to)"
        default: return "it is not a regular file"
        }
        // by the mode bits: root may write anything, but a read-only file says not to
        if st.st_mode & 0o222 == 0 { return "it is read-only" }
        if access(target, W_OK) != 0 { return String(cString: strerror(errno)) }
        mode = st.st_mode & 0o777
    } else {
        let mask = umask(0); umask(mask)
        mode = 0o666 & ~mask
    }
    var template = Array("\(target).tmp-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { return String(cString: strerror(errno)) }
    let tmp = strdup(template)!
    pendingTemporary.store(UInt(bitPattern: tmp), ordering: .relaxed)
    defer { pendingTemporary.store(0, ordering: .relaxed); free(tmp) }
    func fail(_ why: String) -> String { close(fd); unlink(tmp); return why }
    if fchmod(fd, mode) != 0 { return fail(String(cString: strerror(errno))) }
    if existing && (st.st_uid != geteuid() || st.st_gid != getegid()) {
        _ = fchown(fd, st.st_uid, st.st_gid)   // root keeps the owner; others cannot, and need not
    }
    if let why = writeAll(fd, bytes) { return fail(why) }
    if fsync(fd) != 0 { return fail(String(cString: strerror(errno))) }
    if close(fd) != 0 { let e = String(cString: strerror(errno)); unlink(tmp); return e }
    if rename(tmp, target) != 0 { let e = String(cString: strerror(errno)); unlink(tmp); return e }
    return nil
}

/// Writes everything, a megabyte at a time so that Ctrl-C stops a large save.
private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
    bytes.withUnsafeBytes { buf -> String? in
        var done = 0
        while done < buf.count {
            if Interrupt.flag.load(ordering: .relaxed) { return "stopped by Ctrl-C" }
            let n = write(fd, buf.baseAddress! + done, Swift.min(buf.count - done, 1 << 20))
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            done += n
        }
        return nil
    }
}

/// The file a path names after following symlinks in its last component (a dangling
/// link gives the file it would create); nil for a loop.
private func resolvingSymlinks(_ path: String) -> String? {
    var p = path
    for _ in 0..<40 {
        var st = stat()
        guard lstat(p, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { return p }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(p, &buf, buf.count - 1)
        guard n >= 0 else { return p }
        let link = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if link.hasPrefix("/") {
            p = link
        } else if let slash = p.lastIndex(of: "/") {
            p = String(p[...slash]) + link
        } else {
            p = link
        }
    }
    return nil
}
