// Array files and data sets (npy/npz, CSV, IDX, digits): being written.
import MLPLang

enum ArrayFileLib {
    static func register(_ r: inout Registry) {}
}
