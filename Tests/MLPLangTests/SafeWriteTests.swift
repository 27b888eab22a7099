import Glibc
import MLPLang
import XCTest

/// writeFileAtomically, the one helper every save goes through: a planted file or
/// symlink is never followed, a symlink is written through, the mode is kept, and
/// read-only files and special files are refused without leaving a temporary file.
final class SafeWriteTests: XCTestCase {
    var dir = ""

    override func setUp() {
        var template = Array("/tmp/mlp-safewrite-XXXXXX".utf8CString)
        dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func text(_ path: String) -> String? { readFile(path) }
    func mode(_ path: String) -> mode_t { var st = stat(); lstat(path, &st); return st.st_mode }
    func put(_ path: String, _ s: String, mode m: mode_t = 0o644) {
        XCTAssertNil(writeFileAtomically(path, Array(s.utf8)))
        chmod(path, m)
    }
    /// The folder's entries other than the given ones: a temporary file left behind.
    func leftovers(except names: Set<String>) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !names.contains($0) }
    }

    func testAPlantedSymlinkAtTheTemporaryNameIsNotFollowed() {
        let path = "\(dir)/out.txt", victim = "\(dir)/victim.txt"
        put(victim, "precious")
        // the old helper's predictable temporary name, pointing at another file
        symlink(victim, "\(path).tmp-\(getpid())")
        XCTAssertNil(writeFileAtomically(path, Array("new".utf8)))
        XCTAssertEqual(text(victim), "precious")
        XCTAssertEqual(text(path), "new")
        XCTAssertEqual(mode(path) & S_IFMT, S_IFREG)
    }

    func testASymlinkIsWrittenThroughToItsTarget() {
        let target = "\(dir)/target.txt", link = "\(dir)/link.txt"
        put(target, "old")
        symlink("target.txt", link)
        XCTAssertNil(writeFileAtomically(link, Array("new".utf8)))
        XCTAssertEqual(mode(link) & S_IFMT, S_IFLNK)
        XCTAssertEqual(text(target), "new")
        XCTAssertEqual(leftovers(except: ["target.txt", "link.txt"]), [])
    }

    func testTheFileKeepsItsPermissionBits() {
        let path = "\(dir)/secret.txt"
        put(path, "old", mode: 0o600)
        XCTAssertNil(writeFileAtomically(path, Array("new".utf8)))
        XCTAssertEqual(mode(path) & 0o777, 0o600)
        XCTAssertEqual(text(path), "new")
    }

    func testAReadOnlyFileIsRefused() {
        // by its mode bits: the tests run as root, for whom EACCES never comes
        let path = "\(dir)/ro.txt"
        put(path, "old", mode: 0o444)
        XCTAssertEqual(writeFileAtomically(path, Array("new".utf8)), "it is read-only")
        XCTAssertEqual(text(path), "old")
        XCTAssertEqual(leftovers(except: ["ro.txt"]), [])
    }

    func testAFifoIsRefusedNotReplaced() {
        let path = "\(dir)/fifo"
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        XCTAssertEqual(writeFileAtomically(path, Array("x".utf8)), "it is a FIFO, not a regular file (only regular files are saved to)")
        XCTAssertEqual(mode(path) & S_IFMT, S_IFIFO)
        XCTAssertEqual(leftovers(except: ["fifo"]), [])
    }

    func testCtrlCStopsASaveAndRemovesItsTemporaryFile() {
        let path = "\(dir)/big.bin"
        put(path, "old")
        Interrupt.flag.store(true, ordering: .relaxed)
        let result = writeFileAtomically(path, [UInt8](repeating: 1, count: 4 << 20))
        Interrupt.flag.store(false, ordering: .relaxed)   // reading a file also stops at Ctrl-C
        XCTAssertEqual(result, "stopped by Ctrl-C")
        XCTAssertEqual(text(path), "old")
        XCTAssertEqual(leftovers(except: ["big.bin"]), [])
    }
}
