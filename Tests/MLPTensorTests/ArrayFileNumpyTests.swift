import Foundation
import MLPTensor
import XCTest

/// Interoperability with NumPy itself: files written here are read by python3's numpy
/// and the reverse. Skipped when python3 or numpy is missing.
final class ArrayFileNumpyTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        guard python("import numpy").status == 0 else { throw XCTSkip("python3 with numpy is not available") }
        dir = NSTemporaryDirectory() + "mlp-npy-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Runs `python3 -c code` and returns its exit status and standard output.
    func python(_ code: String) -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", code]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return (-1, "") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name))) }

    func testNumPyReadsOurNpy() throws {
        let t = T([1, -2.5, 1e-300, .infinity, 0.1, 3], [2, 3])
        let path = try write("a.npy", ArrayFiles.npyEncode(t))
        let r = python("""
        import numpy as np, io
        a = np.load('\(path)')
        assert a.dtype == np.float64 and a.shape == (2, 3), (a.dtype, a.shape)
        b = io.BytesIO(); np.save(b, a)
        print(a.tolist() == [[1.0, -2.5, 1e-300], [float('inf'), 0.1, 3.0]], b.getvalue() == open('\(path)', 'rb').read())
        """)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.out, "True True")   // same values, and byte for byte what numpy.save writes
    }

    func testNpyBytesMatchNumPySave() throws {
        let shapes: [[Int]] = [[], [0], [5], [2, 3, 4], [123456789, 0], Array(repeating: 1, count: 12), [1, 40]]
        var names: [String] = []
        for (k, shape) in shapes.enumerated() {
            let n = shape.reduce(1, *)
            names.append(try write("s\(k).npy", ArrayFiles.npyEncode(try Tensor((0..<n).map { Double($0) / 3 }, shape: shape))))
        }
        let r = python("""
        import numpy as np, io
        ok = []
        for p in \(names):
            a = np.load(p); b = io.BytesIO(); np.save(b, a)
            ok.append(b.getvalue() == open(p, 'rb').read())
        print(ok)
        """)
        XCTAssertEqual(r.out, "[" + Array(repeating: "True", count: shapes.count).joined(separator: ", ") + "]")
    }

    func testNumPyReadsOurNpz() throws {
        let path = try write("p.npz", try ArrayFiles.npzEncode([("w", T([1, 2, 3, 4], [2, 2])), ("b", T([0.5], [1])), ("s", Tensor(scalar: 7))]))
        let r = python("""
        import numpy as np
        d = np.load('\(path)')
        print(sorted(d.files), d['w'].tolist(), d['b'].tolist(), d['s'].shape, float(d['s']))
        """)
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.out, "['b', 's', 'w'] [[1.0, 2.0], [3.0, 4.0]] [0.5] () 7.0")
        let packed = try write("c.npz", try ArrayFiles.npzEncode([("x", T([1, 2, 3], [3]))], compressed: true))
        let c = python("""
        import numpy as np, zipfile
        print(np.load('\(packed)')['x'].tolist(), zipfile.ZipFile('\(packed)').testzip(), zipfile.ZipFile('\(packed)').infolist()[0].compress_type)
        """)
        XCTAssertEqual(c.out, "[1.0, 2.0, 3.0] None 8")
    }

    func testWeReadNumPyFiles() throws {
        let r = python("""
        import numpy as np
        d = '\(dir)'
        x = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7
        np.save(d + '/f8.npy', x)
        np.save(d + '/f4.npy', x.astype(np.float32))
        np.save(d + '/i8.npy', np.array([-3, 2**40], dtype=np.int64))
        np.save(d + '/u1.npy', np.array([[0, 255]], dtype=np.uint8))
        np.save(d + '/b1.npy', np.array([True, False, True]))
        np.save(d + '/fo.npy', np.asfortranarray(np.arange(6.0).reshape(2, 3)))
        np.save(d + '/be.npy', np.array([1.5, -2], dtype='>f8'))
        np.save(d + '/obj.npy', np.array([{'a': 1}], dtype=object), allow_pickle=True)
        np.savez(d + '/s.npz', x=x, y=np.array([1, 2], dtype=np.int32))
        np.savez_compressed(d + '/c.npz', x=x, z=np.zeros((0, 3)))
        np.savetxt(d + '/t.csv', x.reshape(6, 4), delimiter=',', header='a,b,c,d')
        print('ok')
        """)
        XCTAssertEqual(r.out, "ok")
        let x = T((0..<24).map { Double($0) / 7 }, [2, 3, 4])
        assertClose(try ArrayFiles.npyDecode(try read("f8.npy")), x, tol: 0)
        assertClose(try ArrayFiles.npyDecode(try read("f4.npy")), x, tol: 1e-7)
        assertClose(try ArrayFiles.npyDecode(try read("i8.npy")), T([-3, 1099511627776], [2]))
        assertClose(try ArrayFiles.npyDecode(try read("u1.npy")), T([0, 255], [1, 2]))
        assertClose(try ArrayFiles.npyDecode(try read("b1.npy")), T([1, 0, 1], [3]))
        assertClose(try ArrayFiles.npyDecode(try read("fo.npy")), T([0, 1, 2, 3, 4, 5], [2, 3]))
        assertClose(try ArrayFiles.npyDecode(try read("be.npy")), T([1.5, -2], [2]))
        XCTAssertThrowsError(try ArrayFiles.npyDecode(try read("obj.npy"))) { e in
            XCTAssertTrue((e as? TensorError)?.message.contains("object arrays") ?? false, "\(e)")
        }
        let s = try ArrayFiles.npzDecode(try read("s.npz"))
        XCTAssertEqual(s.map(\.0), ["x", "y"])
        assertClose(s[0].1, x, tol: 0)
        assertClose(s[1].1, T([1, 2], [2]))
        let c = try ArrayFiles.npzDecode(try read("c.npz"))
        XCTAssertEqual(c.map(\.0), ["x", "z"])
        assertClose(c[0].1, x, tol: 0)
        XCTAssertEqual(c[1].1.shape, [0, 3])
        // savetxt writes '%.18e' and a '# a,b,c,d' header line (a comment)
        assertClose(try ArrayFiles.csvDecode(try read("t.csv")), try x.reshaped([6, 4]), tol: 1e-15)
    }

    func testNumPyReadsOurCsv() throws {
        let path = try write("t.csv", try ArrayFiles.csvEncode(T([1, 0.1, -3e-20, 2.5], [2, 2])))
        let r = python("import numpy as np; print(np.loadtxt('\(path)', delimiter=',').tolist())")
        XCTAssertEqual(r.out, "[[1.0, 0.1], [-3e-20, 2.5]]")
    }
}
