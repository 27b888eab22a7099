// Plot builtins (MLPPlot): being written.
import MLPLang

enum PlotLib {
    static func register(_ r: inout Registry) {}
}
