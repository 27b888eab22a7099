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
        XCTAssertEqual(T([.nan, 1.5, -.infinity, 0.25], [4]).description, "tensor([ nan, 1.5 , -inf, 0.25])")
        XCTAssertEqual(T([0.1, 2.5e-7, 3, 4], [2, 2]).description, "tensor([[  1e-01, 2.5e-07],\n        [      3,       4]])")
        // at most 8 digits after the point, as NumPy
        XCTAssertEqual(T([0.1 + 0.2, 1 / 3], [2]).description, "tensor([0.3       , 0.33333333])")
        XCTAssertEqual(Tensor(scalar: 1 / 3).description, "tensor(0.33333333)")
        XCTAssertEqual(T([1e-5, 0.5, 3], [3]).description, "tensor([1e-05, 5e-01,     3])")
        XCTAssertEqual(T([1.23456789012e-5, 2], [2]).description, "tensor([1.23456789e-05,              2])")
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

    /// Expected texts from numpy 2.4.6 (`np.array2string(a, prefix="tensor(", separator=", ")`).
    func testAgainstNumpy() throws {
        XCTAssertEqual((try Tensor.arange(0, 60).reshaped([2, 30]) + (0)).description, "tensor([[ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15,\n         16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29],\n        [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45,\n         46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59]])")
        XCTAssertEqual((try Tensor.arange(0, 16).reshaped([2, 2, 2, 2]) + (0)).description, "tensor([[[[ 0,  1],\n          [ 2,  3]],\n\n         [[ 4,  5],\n          [ 6,  7]]],\n\n\n        [[[ 8,  9],\n          [10, 11]],\n\n         [[12, 13],\n          [14, 15]]]])")
        XCTAssertEqual((try Tensor.arange(0, 1024).reshaped([16, 8, 8]) + (0)).description, "tensor([[[   0,    1,    2, ...,    5,    6,    7],\n         [   8,    9,   10, ...,   13,   14,   15],\n         [  16,   17,   18, ...,   21,   22,   23],\n         ...,\n         [  40,   41,   42, ...,   45,   46,   47],\n         [  48,   49,   50, ...,   53,   54,   55],\n         [  56,   57,   58, ...,   61,   62,   63]],\n\n        [[  64,   65,   66, ...,   69,   70,   71],\n         [  72,   73,   74, ...,   77,   78,   79],\n         [  80,   81,   82, ...,   85,   86,   87],\n         ...,\n         [ 104,  105,  106, ...,  109,  110,  111],\n         [ 112,  113,  114, ...,  117,  118,  119],\n         [ 120,  121,  122, ...,  125,  126,  127]],\n\n        [[ 128,  129,  130, ...,  133,  134,  135],\n         [ 136,  137,  138, ...,  141,  142,  143],\n         [ 144,  145,  146, ...,  149,  150,  151],\n         ...,\n         [ 168,  169,  170, ...,  173,  174,  175],\n         [ 176,  177,  178, ...,  181,  182,  183],\n         [ 184,  185,  186, ...,  189,  190,  191]],\n\n        ...,\n\n        [[ 832,  833,  834, ...,  837,  838,  839],\n         [ 840,  841,  842, ...,  845,  846,  847],\n         [ 848,  849,  850, ...,  853,  854,  855],\n         ...,\n         [ 872,  873,  874, ...,  877,  878,  879],\n         [ 880,  881,  882, ...,  885,  886,  887],\n         [ 888,  889,  890, ...,  893,  894,  895]],\n\n        [[ 896,  897,  898, ...,  901,  902,  903],\n         [ 904,  905,  906, ...,  909,  910,  911],\n         [ 912,  913,  914, ...,  917,  918,  919],\n         ...,\n         [ 936,  937,  938, ...,  941,  942,  943],\n         [ 944,  945,  946, ...,  949,  950,  951],\n         [ 952,  953,  954, ...,  957,  958,  959]],\n\n        [[ 960,  961,  962, ...,  965,  966,  967],\n         [ 968,  969,  970, ...,  973,  974,  975],\n         [ 976,  977,  978, ...,  981,  982,  983],\n         ...,\n         [1000, 1001, 1002, ..., 1005, 1006, 1007],\n         [1008, 1009, 1010, ..., 1013, 1014, 1015],\n         [1016, 1017, 1018, ..., 1021, 1022, 1023]]])\nshape [16, 8, 8]")
        XCTAssertEqual((try Tensor.arange(0, 1001).reshaped([1001]) + (-500)).description, "tensor([-500, -499, -498, ...,  498,  499,  500])\nshape [1001]")
        XCTAssertEqual((try Tensor.arange(0, 3000).reshaped([3000, 1]) + (0)).description, "tensor([[   0],\n        [   1],\n        [   2],\n        ...,\n        [2997],\n        [2998],\n        [2999]])\nshape [3000, 1]")
        XCTAssertEqual((try Tensor.arange(0, 3000).reshaped([1, 3000]) + (0)).description, "tensor([[   0,    1,    2, ..., 2997, 2998, 2999]])\nshape [1, 3000]")
    }

    /// 100,000 axes of length 1 print in linear time and without a stack frame per axis
    /// (the nested version took over 60 s; a million axes overflowed the stack).
    func testManyAxesPrintInLinearTime() {
        let n = 100_000
        let start = clock()
        let text = T([7], Array(repeating: 1, count: n)).description
        let seconds = Double(clock() - start) / Double(CLOCKS_PER_SEC)
        XCTAssertEqual(text, "tensor(" + String(repeating: "[", count: n) + "7" + String(repeating: "]", count: n) + ")")
        XCTAssertLessThan(seconds, 2)
    }
}
