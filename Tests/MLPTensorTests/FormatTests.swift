import MLPTensor
import XCTest

final class FormatTests: XCTestCase {
    func testSmall() throws {
        XCTAssertEqual(T([1, 2, 3, 4], [2, 2]).description, "tensor([[1, 2],\n        [3, 4]])")
        XCTAssertEqual(Tensor(scalar: 3).description, "tensor(3)")
        XCTAssertEqual(Tensor(scalar: 0.5).description, "tensor(0.5)")
        XCTAssertEqual(T([1, -2, 10], [3]).description, "tensor([ 1, -2, 10])")
        XCTAssertEqual(T([1.5, 10, -2.25], [3]).description, "tensor([ 1.5 , 10   , -2.25])")
        XCTAssertEqual(T([.nan, 1, .infinity], [3]).description, "tensor([nan,   1, inf])")
        XCTAssertEqual(try Tensor.zeros([0]).description, "tensor([])")
        XCTAssertEqual(T([1, 2], [2]).description(prefix: "x = "), "x = [1, 2])")
        let c3 = try Tensor.arange(0, 24).reshaped([2, 3, 4]) - 5
        XCTAssertEqual(c3.description, """
            tensor([[[-5, -4, -3, -2],
                     [-1,  0,  1,  2],
                     [ 3,  4,  5,  6]],

                    [[ 7,  8,  9, 10],
                     [11, 12, 13, 14],
                     [15, 16, 17, 18]]])
            """)
    }

    func testWrapping() throws {
        XCTAssertEqual(try Tensor.arange(0, 40).description, """
            tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16,
                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
                    34, 35, 36, 37, 38, 39])
            """)
    }

    func testSummarized() throws {
        XCTAssertEqual(try Tensor.arange(0, 2000).description, "tensor([   0,    1,    2, ..., 1997, 1998, 1999])\nshape [2000]")
        XCTAssertEqual(try Tensor.arange(0, 1000).description.contains("..."), false)
        XCTAssertEqual(try Tensor.arange(0, 10000).reshaped([100, 100]).description, """
            tensor([[   0,    1,    2, ...,   97,   98,   99],
                    [ 100,  101,  102, ...,  197,  198,  199],
                    [ 200,  201,  202, ...,  297,  298,  299],
                    ...,
                    [9700, 9701, 9702, ..., 9797, 9798, 9799],
                    [9800, 9801, 9802, ..., 9897, 9898, 9899],
                    [9900, 9901, 9902, ..., 9997, 9998, 9999]])
            shape [100, 100]
            """)
        XCTAssertEqual(try Tensor.arange(0, 1200).reshaped([2, 3, 200]).description, """
            tensor([[[   0,    1,    2, ...,  197,  198,  199],
                     [ 200,  201,  202, ...,  397,  398,  399],
                     [ 400,  401,  402, ...,  597,  598,  599]],

                    [[ 600,  601,  602, ...,  797,  798,  799],
                     [ 800,  801,  802, ...,  997,  998,  999],
                     [1000, 1001, 1002, ..., 1197, 1198, 1199]]])
            shape [2, 3, 200]
            """)
    }
}
