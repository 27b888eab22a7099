import MLPTensor
import XCTest

func T(_ v: [Double], _ shape: [Int]) -> Tensor { try! Tensor(v, shape: shape) }

func assertClose(_ a: Tensor, _ b: Tensor, tol: Double = 1e-12, message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "shapes differ \(message)", file: file, line: line)
    guard a.shape == b.shape else { return }
    for i in 0..<a.count {
        let x = a[flat: i], y = b[flat: i]
        if x.isNaN && y.isNaN { continue }
        if Swift.abs(x - y) > tol * Swift.max(1, Swift.abs(y)) {
            // one failure per tensor: a wrong split makes every entry wrong
            XCTFail("at flat \(i): \(x) != \(y) \(message)", file: file, line: line)
            return
        }
    }
}

func assertThrows(_ message: String, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Any) {
    do {
        _ = try body()
        XCTFail("expected error: \(message)", file: file, line: line)
    } catch let e as TensorError {
        XCTAssertEqual(e.message, message, file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// Naive reference matrix product of 2-D tensors.
func naiveMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    var c = try! Tensor.zeros([m, n])
    for i in 0..<m { for j in 0..<n {
        var s = 0.0
        for p in 0..<k { s += a[i, p] * b[p, j] }
        c[i, j] = s
    } }
    return c
}
